using System.Net;

namespace Weave.Ipam;

/// <summary>
/// The outcome of an IPAM operation: on success the address and the prefix length of its subnet
/// (for allocate and claim), else an <see cref="IpamErrorKind"/> and a message for the operator.
/// </summary>
public sealed record AllocationResult(IpamErrorKind Error, string Message, IPAddress? Address, int PrefixLength)
{
    public bool Succeeded => Error == IpamErrorKind.None;

    public static AllocationResult Success(IPAddress address, int prefixLength) =>
        new(IpamErrorKind.None, "", address, prefixLength);

    public static AllocationResult Done(string message) => new(IpamErrorKind.None, message, null, 0);

    public static AllocationResult Failure(IpamErrorKind error, string message) => new(error, message, null, 0);

    /// <summary><c>10.32.0.5/12</c> on success with an address, else the message.</summary>
    public override string ToString() => Succeeded && Address is not null ? $"{Address}/{PrefixLength}" : Message;
}

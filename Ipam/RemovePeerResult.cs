namespace Weave.Ipam;

/// <summary>The outcome of rmpeer or hand-off: how many addresses changed hands, and the message for the operator.</summary>
public sealed record RemovePeerResult(IpamErrorKind Error, string Message, long Addresses)
{
    public bool Succeeded => Error == IpamErrorKind.None;

    public static RemovePeerResult Failure(IpamErrorKind error, string message) => new(error, message, 0);

    public override string ToString() => Message;
}

using System.Net;
using System.Net.Sockets;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>Interface addresses: RTM_NEWADDR, RTM_DELADDR and RTM_GETADDR with struct ifaddrmsg.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>
    /// Assigns <paramref name="address"/>/<paramref name="prefixLength"/> to the link (IPv4 or IPv6,
    /// scope universe). Idempotent: the request carries NLM_F_CREATE | NLM_F_REPLACE, so an address
    /// that is already there with the same prefix is refreshed, not an error. The same address with
    /// another prefix is a different address to the kernel and is added beside it (IPv4). IPv4
    /// addresses get the network's broadcast address (IFA_BROADCAST) unless the prefix is /31 or /32.
    /// </summary>
    /// <exception cref="LinuxError">With Errno ENODEV when no such link exists.</exception>
    public void AddAddress(int index, IPAddress address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ValidatePrefix(address, prefixLength, nameof(address), nameof(prefixLength));
        lock (_gate)
        {
            uint sequence = NextSequence();
            Execute(EncodeNewAddress(_request, sequence, index, address, prefixLength), sequence,
                $"add address {address}/{prefixLength} on {Describe(index)}");
        }
    }

    /// <summary>Removes <paramref name="address"/>/<paramref name="prefixLength"/> from the link.
    /// Returns false when the link has no such address (EADDRNOTAVAIL), which is not an error.</summary>
    /// <exception cref="LinuxError">With Errno ENODEV when no such link exists.</exception>
    public bool DeleteAddress(int index, IPAddress address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ValidatePrefix(address, prefixLength, nameof(address), nameof(prefixLength));
        lock (_gate)
        {
            uint sequence = NextSequence();
            return ExecuteUnlessErrno(EncodeDeleteAddress(_request, sequence, index, address, prefixLength), sequence,
                Tmds.Linux.LibC.EADDRNOTAVAIL, $"delete address {address}/{prefixLength} on {Describe(index)}");
        }
    }

    /// <summary>The IPv4 and IPv6 addresses of one link (an RTM_GETADDR dump, filtered by index here
    /// as well, since kernels without strict checking ignore the index of a dump request). Empty
    /// when the link has none or does not exist.</summary>
    public IReadOnlyList<InterfaceAddress> ListAddresses(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(index);
        ReplyCollector<InterfaceAddress> collect = (payload, addresses) =>
        {
            if (!NetlinkParser.TryParseAddress(payload, out AddressReply? reply))
            {
                return false;
            }
            if (reply is { } r && r.Index == index)
            {
                addresses.Add(r.Address);
            }
            return true;
        };
        lock (_gate)
        {
            return DumpConsistent(RTM_GETADDR, RTM_NEWADDR, collect, "list addresses on " + Describe(index),
                (ref NetlinkMessage message) => message.WriteIfAddrMsg(AF_UNSPEC, 0, index));
        }
    }

    /// <summary>The RTM_NEWADDR request of <see cref="AddAddress"/>, arguments already validated.</summary>
    internal static ReadOnlySpan<byte> EncodeNewAddress(Span<byte> buffer, uint sequence, int index, IPAddress address, int prefixLength)
    {
        byte family = ValidatePrefix(address, prefixLength, nameof(address), nameof(prefixLength));
        var message = new NetlinkMessage(buffer, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, sequence);
        message.WriteIfAddrMsg(family, (byte)prefixLength, index, RT_SCOPE_UNIVERSE);
        message.AddIPAddress(IFA_LOCAL, address);
        message.AddIPAddress(IFA_ADDRESS, address);
        if (family == AF_INET && prefixLength <= 30)
        {
            message.AddIPAddress(IFA_BROADCAST, IPv4Broadcast(address, prefixLength));
        }
        return message.Finish();
    }

    /// <summary>The RTM_DELADDR request of <see cref="DeleteAddress"/>, arguments already validated.
    /// With IFA_ADDRESS present the kernel matches the prefix length too (IPv6 always does).</summary>
    internal static ReadOnlySpan<byte> EncodeDeleteAddress(Span<byte> buffer, uint sequence, int index, IPAddress address, int prefixLength)
    {
        byte family = ValidatePrefix(address, prefixLength, nameof(address), nameof(prefixLength));
        var message = new NetlinkMessage(buffer, RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, sequence);
        message.WriteIfAddrMsg(family, (byte)prefixLength, index);
        message.AddIPAddress(IFA_LOCAL, address);
        message.AddIPAddress(IFA_ADDRESS, address);
        return message.Finish();
    }

    /// <summary>Checks the address family and the prefix length; returns AF_INET or AF_INET6.</summary>
    private static byte ValidatePrefix(IPAddress address, int prefixLength, string addressName, string prefixName)
    {
        ArgumentNullException.ThrowIfNull(address, addressName);
        int bits = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => 32,
            AddressFamily.InterNetworkV6 => 128,
            _ => throw new ArgumentException($"{address} is neither IPv4 nor IPv6", addressName),
        };
        if (prefixLength < 0 || prefixLength > bits)
        {
            throw new ArgumentOutOfRangeException(prefixName, prefixLength, $"A prefix length for {address} is 0 to {bits}.");
        }
        return bits == 32 ? AF_INET : AF_INET6;
    }

    private static IPAddress IPv4Broadcast(IPAddress address, int prefixLength)
    {
        Span<byte> bytes = stackalloc byte[4];
        _ = address.TryWriteBytes(bytes, out _);
        uint value = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
        uint hostMask = prefixLength == 0 ? uint.MaxValue : uint.MaxValue >> prefixLength;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value | hostMask);
        return new IPAddress(bytes);
    }
}

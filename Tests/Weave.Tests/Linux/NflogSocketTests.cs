using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Weave.Lab;
using Weave.Linux;
using Weave.Linux.Netfilter;
using Weave.Linux.Nftables;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>
/// NflogSocket on the real kernel, each test in a network namespace of its own: nft rules on the
/// output hook log UDP and TCP sent to addresses on the namespace's loopback, so no packet leaves
/// the namespace.
/// </summary>
public sealed class NflogSocketTests
{
    private const ushort Group = 7;

    private const string Rules = """
        table inet nflog-test {
            chain out {
                type filter hook output priority 0;
                ip daddr 192.0.2.1 udp dport 5353 log group 7 prefix "probe.udp"
                ip daddr 192.0.2.1 tcp dport 8080 log group 7 prefix "probe.tcp"
                ip6 daddr 2001:db8::1 udp dport 5353 log group 7 prefix "probe.udp6"
            }
        }
        """;

    [RootFact]
    public void Receive_UdpAndTcpSentInTheNamespace_GivesPrefixAddressesProtocolAndPorts()
    {
        RootFactAttribute.Require();
        using var ns = Namespace();
        using NflogSocket socket = ns.Run(() => NflogSocket.Open(Group));
        var v4 = IPAddress.Parse("192.0.2.1");
        var v6 = IPAddress.Parse("2001:db8::1");

        ushort udpPort = ns.Run(() => SendUdp(new IPEndPoint(v4, 0), new IPEndPoint(v4, 5353)));
        ushort tcpPort = ns.Run(() => SendSyn(new IPEndPoint(v4, 8080)));
        ushort udp6Port = ns.Run(() => SendUdp(new IPEndPoint(v6, 0), new IPEndPoint(v6, 5353)));
        List<LoggedPacket> logged = ReceiveAtLeast(socket, 3);

        Assert.Equal(
            [
                new LoggedPacket("probe.udp", v4, v4, LoggedProtocol.Udp, 17, HasPorts: true, udpPort, 5353),
                new LoggedPacket("probe.tcp", v4, v4, LoggedProtocol.Tcp, 6, HasPorts: true, tcpPort, 8080),
                new LoggedPacket("probe.udp6", v6, v6, LoggedProtocol.Udp, 17, HasPorts: true, udp6Port, 5353),
            ],
            logged);
        Assert.Equal((0L, 0L), (socket.RefusedMessages, socket.Overruns));
    }

    /// <summary>Per packet, receiving allocates only the two addresses it returns (the prefix
    /// string is cached, buffers are kept); the budget is measured by making those addresses here.</summary>
    [RootFact]
    public void Receive_AllocatesOnlyTheReturnedAddresses()
    {
        RootFactAttribute.Require();
        const int Count = 200;
        using var ns = Namespace();
        using NflogSocket socket = ns.Run(() => NflogSocket.Open(Group));
        var v4 = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0);
        var to = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 5353);
        ns.Run(() => SendUdp(v4, to));
        _ = ReceiveAtLeast(socket, 1); // the first packet fills the prefix cache
        ns.Run(() =>
        {
            for (int i = 0; i < Count; i++)
            {
                SendUdp(v4, to);
            }
        });
        var packets = new LoggedPacket[Count];
        Span<byte> address = [192, 0, 2, 1];
        long budget = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Count; i++)
        {
            packets[i] = packets[i] with { Source = new IPAddress(address), Destination = new IPAddress(address) };
        }
        budget = GC.GetAllocatedBytesForCurrentThread() - budget;

        long start = Stopwatch.GetTimestamp();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int received = 0;
        while (received < Count && Stopwatch.GetElapsedTime(start).TotalSeconds < 5)
        {
            received += socket.Receive(packets.AsSpan(received), 1000);
        }
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        Assert.Equal(Count, received);
        Assert.True(allocated <= budget, $"{allocated} bytes allocated receiving {Count} packets; their addresses take {budget}");
    }

    [RootFact]
    public void Open_OfAGroupAlreadyBound_FailsWithEperm_UntilTheFirstIsDisposed()
    {
        RootFactAttribute.Require();
        using var ns = Namespace();
        NflogSocket first = ns.Run(() => NflogSocket.Open(Group));
        try
        {
            var refused = Assert.Throws<LinuxError>(() => ns.Run(() => NflogSocket.Open(Group)));
            Assert.Equal(1, refused.Errno); // EPERM, as the kernel answers for a group another socket has
            Assert.Contains("bind NFLOG group 7 (another socket has it", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            first.Dispose();
        }

        using NflogSocket second = ns.Run(() => NflogSocket.Open(Group));
        ushort port = ns.Run(() => SendUdp(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 0), new IPEndPoint(IPAddress.Parse("192.0.2.1"), 5353)));
        Assert.Equal(port, Assert.Single(ReceiveAtLeast(second, 1)).SourcePort);
    }

    [RootFact]
    public void Receive_WithNothingLogged_ReturnsZeroAfterTheTimeout()
    {
        RootFactAttribute.Require();
        using var ns = Namespace();
        using NflogSocket socket = ns.Run(() => NflogSocket.Open(Group));
        var clock = Stopwatch.StartNew();

        Assert.Equal(0, socket.Receive(new LoggedPacket[4], 100));
        Assert.InRange(clock.ElapsedMilliseconds, 90, 5000);
    }

    [RootFact]
    public void Dispose_FromAnotherThread_EndsAReceiveWaitingWithoutTimeout()
    {
        RootFactAttribute.Require();
        using var ns = Namespace();
        NflogSocket socket = ns.Run(() => NflogSocket.Open(Group));
        using var receiving = new ManualResetEventSlim();
        Exception? ended = null;
        var receiver = new Thread(() =>
        {
            receiving.Set();
            ended = Record.Exception(() => socket.Receive(new LoggedPacket[4], -1));
        });
        receiver.Start();
        Assert.True(receiving.Wait(TimeSpan.FromSeconds(5)));
        Assert.False(receiver.Join(100), "Receive returned with nothing to receive");

        socket.Dispose();

        Assert.True(receiver.Join(TimeSpan.FromSeconds(5)), "Dispose did not end the receive");
        Assert.IsType<ObjectDisposedException>(ended);
    }

    private static TempNetns Namespace()
    {
        var ns = new TempNetns("wvnflog");
        try
        {
            TempNetns.Ip("-n", ns.Name, "link", "set", "lo", "up");
            TempNetns.Ip("-n", ns.Name, "addr", "add", "192.0.2.1/32", "dev", "lo");
            TempNetns.Ip("-n", ns.Name, "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad");
            Assert.True(NftCommand.TryFind(out NftCommand? nft), "nft is not installed (test.sh installs nftables)");
            ns.Run(() => nft!.Apply(Rules));
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Sends one datagram and returns the source port the kernel chose.</summary>
    private static ushort SendUdp(IPEndPoint from, IPEndPoint to)
    {
        using var socket = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(from);
        socket.SendTo("hello"u8, to);
        return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Sends a SYN to a port no one listens on (the kernel answers with a reset) and
    /// returns its source port.</summary>
    private static ushort SendSyn(IPEndPoint to)
    {
        using var socket = new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(to.Address, 0));
        Assert.Throws<SocketException>(() => socket.Connect(to));
        return (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static List<LoggedPacket> ReceiveAtLeast(NflogSocket socket, int count)
    {
        var logged = new List<LoggedPacket>();
        var packets = new LoggedPacket[4];
        var clock = Stopwatch.StartNew();
        while (logged.Count < count && clock.ElapsedMilliseconds < 5000)
        {
            int received = socket.Receive(packets, 5000 - (int)clock.ElapsedMilliseconds);
            logged.AddRange(packets[..received]);
        }
        Assert.True(logged.Count >= count, $"{logged.Count} of {count} packets logged; refused {socket.RefusedMessages} ({socket.LastRefusal})");
        return logged;
    }
}

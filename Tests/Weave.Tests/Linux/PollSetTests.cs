using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>PollSet on a real TAP device and UDP sockets, in a namespace of their own.</summary>
public sealed class PollSetTests
{
    private const int Tap = 1;
    private const int SocketA = 2;
    private const int SocketB = 4;

    [RootFact]
    public void Wait_ReportsTheReadySources_OnlyAmongThoseAskedFor()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TempNetns.Ip("-n", ns.Name, "link", "set", "lo", "up");
        var loopback = new UdpEndpoint(IPAddress.Loopback, 0);
        (TapDevice tap, UdpBatchSocket a, UdpBatchSocket b) = ns.Run(() => (TapDevice.Create("wvtap0"), UdpBatchSocket.Open(loopback), UdpBatchSocket.Open(loopback)));
        using (tap)
        using (a)
        using (b)
        using (PollSet set = PollSet.Create(tap, a, b))
        {
            Assert.Equal(0, set.Wait(Tap | SocketA | SocketB, 50)); // the TAP is down: nothing anywhere

            ns.Run(() => SendTo(b.LocalEndPoint.ToIPEndPoint()));
            Assert.Equal(SocketB, set.Wait(Tap | SocketA | SocketB, 5000));
            var clock = Stopwatch.StartNew();
            Assert.Equal(0, set.Wait(Tap | SocketA, 100)); // B is ready but not asked for
            Assert.InRange(clock.ElapsedMilliseconds, 90, 5000);
            Assert.Equal(SocketB, set.Wait(SocketB, 0)); // still unread
        }
    }

    [RootFact]
    public void Wait_SeesAFrameTheKernelQueuedOnTheTap()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TapDevice tap = ns.Run(() => TapDevice.Create("wvtap0"));
        using (tap)
        using (PollSet set = PollSet.Create(tap))
        {
            TempNetns.Ip("-n", ns.Name, "addr", "add", "10.99.0.1/24", "dev", "wvtap0");
            TempNetns.Ip("-n", ns.Name, "link", "set", "wvtap0", "up");
            ns.Run(() => SendTo(new IPEndPoint(IPAddress.Parse("10.99.0.2"), 9))); // an ARP request goes out of the TAP
            Assert.Equal(Tap, set.Wait(Tap, 5000));
            Assert.True(tap.Read(new byte[TapDevice.SuperFrameBufferBytes], 0) > 0);
        }
    }

    [RootFact]
    public void Wake_FromAnotherThread_EndsAWaitWithoutTimeout()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TapDevice tap = ns.Run(() => TapDevice.Create("wvtap0"));
        using (tap)
        using (PollSet set = PollSet.Create(tap))
        {
            int result = -1;
            var waiter = ThreadBlockedInPoll.Start(() => result = set.Wait(Tap, -1), descriptors: 2); // the TAP and the eventfd

            set.Wake();

            Assert.True(waiter.Join(), "Wake did not end the wait");
            Assert.Null(waiter.Failure);
            Assert.Equal(PollSet.WokenBit, result);
            Assert.Equal(0, set.Wait(Tap, 0)); // the wake was reported once
        }
    }

    [RootFact]
    public void Wait_OnADisposedSourceOrSet_ThrowsObjectDisposed()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TapDevice tap = ns.Run(() => TapDevice.Create("wvtap0"));
        using var socket = UdpBatchSocket.Open(new UdpEndpoint(IPAddress.Loopback, 0));
        var set = PollSet.Create(tap, socket);
        tap.Dispose();
        Assert.Equal(0, set.Wait(SocketA, 0)); // the socket alone is still fine
        Assert.Throws<ObjectDisposedException>(() => set.Wait(Tap | SocketA, 0));
        set.Dispose();
        Assert.Throws<ObjectDisposedException>(() => set.Wait(SocketA, 0));
        set.Dispose(); // idempotent
    }

    private static void SendTo(IPEndPoint to)
    {
        using var sender = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        sender.SendTo("ready"u8.ToArray(), to);
    }
}

using System.Diagnostics;
using Tmds.Linux;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>TapDevice against the real kernel, each test in a namespace of its own.</summary>
public sealed class TapDeviceTests
{
    [RootFact]
    public void IsSupported_OnThisMachine_IsTrue()
    {
        RootFactAttribute.Require();
        Assert.True(TapDevice.IsSupported);
    }

    [RootFact]
    public void Create_ReportsNameAndIndex_AndTheLinkDisappearsAfterDispose()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            var tap = TapDevice.Create("wvtap0");
            Assert.Equal("wvtap0", tap.Name);
            LinkInfo link = Assert.IsType<LinkInfo>(rtnl.GetLink("wvtap0"));
            Assert.Equal(tap.InterfaceIndex, link.Index);
            Assert.Equal("tun", link.Kind);

            tap.Dispose();

            Assert.Null(rtnl.GetLink("wvtap0"));
            Assert.Throws<ObjectDisposedException>(() => tap.Read(new byte[1514], 0));
            Assert.Throws<ObjectDisposedException>(() => tap.TryWrite(new byte[60]));
            tap.Dispose(); // idempotent
        });
    }

    [RootFact]
    public void Create_SameNameWhileOpen_ThrowsEbusyNamingTheDevice()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var tap = TapDevice.Create("wvtap0");
            var error = Assert.Throws<LinuxError>(() => TapDevice.Create("wvtap0"));
            Assert.Equal(LibC.EBUSY, error.Errno);
            Assert.StartsWith("TUNSETIFF wvtap0: ", error.Message, StringComparison.Ordinal);
        });
    }

    [RootFact]
    public void Read_WhenNothingArrives_ReturnsZeroAfterTheTimeout()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var tap = TapDevice.Create("wvtap0"); // down: the kernel sends it nothing
            var clock = Stopwatch.StartNew();
            Assert.Equal(0, tap.Read(new byte[1514], 150));
            Assert.InRange(clock.ElapsedMilliseconds, 140, 5000);
            Assert.Equal(0, tap.Read(new byte[1514], 0));
        });
    }

    [RootFact]
    public void TryWrite_WhileLinkIsDown_ReturnsFalse()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var tap = TapDevice.Create("wvtap0");
            Assert.False(tap.TryWrite(EthernetFrames.Broadcast([0x02, 0, 0, 0, 0, 1], "down")));
        });
    }

    [RootFact]
    public void Dispose_WakesAReadBlockedForever()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TapDevice tap = ns.Run(() => TapDevice.Create("wvtap0")); // down: only Dispose can end the read
        byte[] buffer = new byte[1514];
        var reader = ThreadBlockedInPoll.Start(() => tap.Read(buffer, -1), descriptors: 2); // the TAP and the wake eventfd

        tap.Dispose();

        Assert.True(reader.Join(), "Read still blocked after Dispose");
        Assert.IsType<ObjectDisposedException>(reader.Failure);
    }

    /// <summary>TAP, bridge and one end of a veth pair form a switch; frames written to the TAP
    /// come out of the veth's peer, and frames sent on the peer are read from the TAP.</summary>
    [RootFact]
    public void Frames_CrossABridgeBetweenTapAndVeth_BothWays()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var rtnl = RouteNetlink.Open();
            rtnl.CreateBridge("wvbr0");
            rtnl.CreateVethPair("wvveth0", "wvveth1");
            using var tap = TapDevice.Create("wvtap0");
            int bridge = rtnl.GetLink("wvbr0")!.Index;
            int veth0 = rtnl.GetLink("wvveth0")!.Index;
            int veth1 = rtnl.GetLink("wvveth1")!.Index;
            rtnl.SetMaster(tap.InterfaceIndex, bridge);
            rtnl.SetMaster(veth0, bridge);
            foreach (int index in new[] { bridge, veth0, veth1, tap.InterfaceIndex })
            {
                rtnl.SetUp(index);
            }
            using var packet = PacketSocket.Open(veth1, EthernetFrames.TestEtherType);

            // A bridge port forwards only once the kernel's link watcher has seen its carrier come
            // up, which a loaded machine runs late; until then the frame is dropped. So: write
            // until one arrives.
            byte[] toVeth = EthernetFrames.Broadcast([0x02, 0x57, 0, 0, 0, 1], "tap to veth");
            byte[] received = [];
            for (int attempt = 0; attempt < 20 && received.Length == 0; attempt++)
            {
                Assert.True(tap.TryWrite(toVeth));
                received = packet.Receive(TimeSpan.FromMilliseconds(500));
            }
            Assert.Equal(toVeth, received);

            byte[] toTap = EthernetFrames.Broadcast([0x02, 0x57, 0, 0, 0, 2], "veth to tap");
            packet.Send(toTap);
            Assert.Equal(toTap, ReadUntil(tap, toTap, TimeSpan.FromSeconds(5)));
        });
    }

    /// <summary>Reads frames until one equal to <paramref name="expected"/> arrives (the kernel also
    /// sends IPv6 router and neighbour solicitations); returns it, or the last frame seen.</summary>
    private static byte[] ReadUntil(TapDevice tap, byte[] expected, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        byte[] buffer = new byte[1514];
        byte[] last = [];
        while (clock.Elapsed < timeout)
        {
            int length = tap.Read(buffer, 100);
            if (length > 0)
            {
                last = buffer[..length];
                if (last.AsSpan().SequenceEqual(expected))
                {
                    return last;
                }
            }
        }
        return last;
    }
}

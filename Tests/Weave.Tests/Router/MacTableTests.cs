using System.Net;
using Weave.Gossip;
using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

public sealed class MacTableTests
{
    private static readonly DataPeer s_a = new(new PeerName(0xA), "a", new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6784));
    private static readonly DataPeer s_b = new(new PeerName(0xB), "b", new IPEndPoint(IPAddress.Parse("192.0.2.2"), 6784));

    [Fact]
    public void Lookup_Unknown_IsNull()
    {
        var table = new MacTable();
        Assert.Null(table.Lookup(0x020000000001));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void Learn_ThenLookup_GivesPeer()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, timestamp: 1);
        table.Learn(0x020000000002, s_b, timestamp: 1);
        Assert.Same(s_a, table.Lookup(0x020000000001));
        Assert.Same(s_b, table.Lookup(0x020000000002));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Learn_SameMacBehindAnotherPeer_MovesIt()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, timestamp: 1);
        table.Learn(0x020000000001, s_b, timestamp: 2);
        Assert.Same(s_b, table.Lookup(0x020000000001));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Forget_Peer_RemovesOnlyItsMacs()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, 1);
        table.Learn(0x020000000002, s_a, 1);
        table.Learn(0x020000000003, s_b, 1);
        Assert.Equal(2, table.Forget(s_a));
        Assert.Null(table.Lookup(0x020000000001));
        Assert.Null(table.Lookup(0x020000000002));
        Assert.Same(s_b, table.Lookup(0x020000000003));
        Assert.Equal(0, table.Forget(s_a));
    }

    [Fact]
    public void Forget_AfterMacMoved_LeavesItWithTheNewPeer()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, 1);
        table.Learn(0x020000000001, s_b, 2);
        Assert.Equal(0, table.Forget(s_a));
        Assert.Same(s_b, table.Lookup(0x020000000001));
    }

    [Fact]
    public void Snapshot_ListsEveryEntry()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, 1);
        table.Learn(0x020000000002, s_b, 1);
        var snapshot = table.Snapshot().OrderBy(e => e.Mac).ToList();
        Assert.Equal([(0x020000000001UL, s_a), (0x020000000002UL, s_b)], snapshot);
    }

    [Fact]
    public void Learn_KnownMac_DoesNotAllocate()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, 1);
        table.Learn(0x020000000001, s_b, 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            table.Learn(0x020000000001, (i & 1) == 0 ? s_a : s_b, i);
            _ = table.Lookup(0x020000000001);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

using Weave.Gossip;
using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

public sealed class MacTableTests
{
    private static readonly PeerName s_a = new(0xA);
    private static readonly PeerName s_b = new(0xB);

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
        Assert.Equal(s_a, table.Lookup(0x020000000001));
        Assert.Equal(s_b, table.Lookup(0x020000000002));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void Learn_SameMacBehindAnotherPeer_MovesItAndSaysSo()
    {
        var table = new MacTable();
        Assert.False(table.Learn(0x020000000001, s_a, timestamp: 1));
        Assert.False(table.Learn(0x020000000001, s_a, timestamp: 2));
        Assert.True(table.Learn(0x020000000001, s_b, timestamp: 3));
        Assert.Equal(s_b, table.Lookup(0x020000000001));
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
        Assert.Equal(s_b, table.Lookup(0x020000000003));
        Assert.Equal(0, table.Forget(s_a));
    }

    [Fact]
    public void Forget_AfterMacMoved_LeavesItWithTheNewPeer()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, 1);
        table.Learn(0x020000000001, s_b, 2);
        Assert.Equal(0, table.Forget(s_a));
        Assert.Equal(s_b, table.Lookup(0x020000000001));
    }

    [Fact]
    public void Expire_RemovesOnlyEntriesLastSeenBeforeTheCutoff()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, 100);
        table.Learn(0x020000000002, s_a, 200);
        table.Learn(0x020000000003, s_b, 50);
        table.Learn(0x020000000003, s_b, 300); // refreshed: stays
        Assert.Equal(1, table.Expire(150));
        Assert.Null(table.Lookup(0x020000000001));
        Assert.Equal(s_a, table.Lookup(0x020000000002));
        Assert.Equal(s_b, table.Lookup(0x020000000003));
        Assert.Equal(0, table.Expire(150));
        Assert.True(table.TryLookup(0x020000000003, out PeerName origin, out long lastSeen));
        Assert.Equal((s_b, 300L), (origin, lastSeen));
    }

    [Fact]
    public void Remove_ForgetsOneMac()
    {
        var table = new MacTable();
        table.Learn(0x020000000001, s_a, 1);
        Assert.True(table.Remove(0x020000000001));
        Assert.False(table.Remove(0x020000000001));
        Assert.Equal(0, table.Count);
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
        // A background tier-1 recompile can land on this thread once, on a loaded machine; an
        // allocation per learn or lookup shows in every round.
        var rounds = new List<long>();
        for (int round = 0; round < 3 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                table.Learn(0x020000000001, (i & 1) == 0 ? s_a : s_b, i);
                _ = table.TryLookup(0x020000000001, out _, out _);
                _ = table.Lookup(0x020000000001);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(rounds[^1] == 0, $"bytes allocated per round of 10,000: {string.Join(", ", rounds)}");
    }
}

using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Gossip.Routing;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Gossip.Routing;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// One forwarder, one batch at a time, under a fake clock: sleeve input from untrusted peers,
/// the loop window, MAC moves and expiry, and the allocation-free sleeve path.
/// </summary>
public sealed class ForwarderSleeveTests : IDisposable
{
    private const int Vni = 6783;
    private const ulong LocalMac = 0x0200_0000_0001;
    private const ulong RemoteMac = 0x0200_0000_00A1;

    // We are peer 1 in the chain 0 - 1 - 2.
    private static readonly PeerName s_self = TopologyBuilder.Name(1);
    private static readonly PeerName s_left = TopologyBuilder.Name(0);
    private static readonly PeerName s_right = TopologyBuilder.Name(2);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(1));
    private readonly ChannelTapDevice _tap = new();
    private readonly ChannelDatagramTransport _vxlan = new();
    private readonly ChannelDatagramTransport _sleeve = new();
    private readonly Forwarder _forwarder;
    private readonly DataPeer _left = new(s_left, "left", new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6784));
    private readonly DataPeer _right = new(s_right, "right", new IPEndPoint(IPAddress.Parse("192.0.2.3"), 6784));

    public ForwarderSleeveTests()
    {
        _forwarder = new Forwarder(s_self, _tap, _vxlan, _sleeve, Vni, _time, NullLogger.Instance);
        _forwarder.AddPeer(_left);
        _forwarder.AddPeer(_right);
        _forwarder.SetRoutes(RouteTable.Compute(s_self, new TopologyBuilder().Chain(0, 1, 2).Build(), establishedAndSymmetric: true));
    }

    public void Dispose() => _forwarder.Dispose();

    private static byte[] Sleeve(SleeveKind kind, PeerName source, PeerName destination, byte[] frame)
    {
        byte[] datagram = new byte[SleeveHeader.SizeBytes + frame.Length];
        new SleeveHeader(kind, source, destination).Write(datagram);
        frame.CopyTo(datagram, SleeveHeader.SizeBytes);
        return datagram;
    }

    private int FromSleeve(IPEndPoint from, params byte[][] datagrams)
    {
        var batch = new PacketBatch(datagrams.Length, allocateBuffers: true);
        for (int i = 0; i < datagrams.Length; i++)
        {
            batch.Offsets[i] = PacketBatch.Headroom - SleeveHeader.SizeBytes;
            datagrams[i].CopyTo(batch.Buffers[i], batch.Offsets[i]);
            batch.Lengths[i] = datagrams[i].Length;
            batch.Endpoints[i] = Weave.Linux.UdpEndpoint.FromIPEndPoint(from);
        }
        batch.Count = datagrams.Length;
        return _forwarder.ForwardFromSleeve(batch);
    }

    private int FromBridge(byte[] frame) => _forwarder.ForwardFromBridge(Frames.FromBridge(frame));

    public static TheoryData<string, byte[]> BadSleeveDatagrams()
    {
        byte[] frame = Frames.Ethernet(LocalMac, 0x0200_0000_0BAD);
        byte[] badMagic = Sleeve(SleeveKind.Unicast, TopologyBuilder.Name(0), TopologyBuilder.Name(1), frame);
        badMagic[0] = 0x08;
        return new TheoryData<string, byte[]>
        {
            { "bad magic", badMagic },
            { "header only", Sleeve(SleeveKind.Unicast, TopologyBuilder.Name(0), TopologyBuilder.Name(1), []) },
            { "runt frame", Sleeve(SleeveKind.Unicast, TopologyBuilder.Name(0), TopologyBuilder.Name(1), frame[..13]) },
            { "from ourselves", Sleeve(SleeveKind.Unicast, TopologyBuilder.Name(1), TopologyBuilder.Name(2), frame) },
            { "too short for a header", [0x57, 0x01, 0x02] },
        };
    }

    [Theory]
    [MemberData(nameof(BadSleeveDatagrams))]
    public void FromSleeve_BadDatagram_DroppedAndCounted(string description, byte[] datagram)
    {
        Assert.Equal(0, FromSleeve(_left.SleeveEndPoint, datagram));
        Assert.True(_forwarder.Counters.SleeveDropsBadHeader == 1, description);
        Assert.Equal(0, _tap.PendingWritten);
        Assert.Equal(0, _sleeve.PendingSent);
        Assert.Equal(0, _forwarder.Macs.Count);
    }

    [Fact]
    public void FromSleeve_UnknownSender_Dropped()
    {
        byte[] datagram = Sleeve(SleeveKind.Unicast, s_left, s_self, Frames.Ethernet(LocalMac, RemoteMac));
        Assert.Equal(0, FromSleeve(new IPEndPoint(IPAddress.Parse("198.51.100.7"), 6783), datagram));
        Assert.Equal(0, FromSleeve(_left.EndPoint, datagram)); // its VXLAN address is not its sleeve address
        Assert.Equal(2, _forwarder.Counters.SleeveDropsUnknownSender);
        Assert.Equal(0, _tap.PendingWritten);
    }

    [Fact]
    public void FromSleeve_ForUnreachablePeer_DroppedAsNoRoute()
    {
        byte[] datagram = Sleeve(SleeveKind.Unicast, s_left, new PeerName(0x77), Frames.Ethernet(LocalMac, RemoteMac));
        FromSleeve(_left.SleeveEndPoint, datagram);
        Assert.Equal(1, _forwarder.Counters.SleeveDropsNoRoute);
        Assert.Equal(0, _sleeve.PendingSent);
    }

    [Fact]
    public void FromSleeve_RouteLeadsBackToSender_DroppedNotReturned()
    {
        byte[] datagram = Sleeve(SleeveKind.Unicast, s_right, s_left, Frames.Ethernet(LocalMac, RemoteMac));
        FromSleeve(_left.SleeveEndPoint, datagram); // the left peer sends us a frame for itself
        Assert.Equal(1, _forwarder.Counters.SleeveDropsNoRoute);
        Assert.Equal(0, _sleeve.PendingSent);
    }

    [Fact]
    public void FromSleeve_ForAnotherPeer_RelayedUnchangedAndNotDelivered()
    {
        byte[] datagram = Sleeve(SleeveKind.Unicast, s_left, s_right, Frames.Ethernet(LocalMac, RemoteMac));
        FromSleeve(_left.SleeveEndPoint, datagram);
        Assert.True(_sleeve.TryTakeSent(TimeSpan.Zero, out var sent));
        Assert.Equal(datagram, sent.Datagram);
        Assert.Equal(_right.SleeveEndPoint, sent.To);
        Assert.Equal(0, _tap.PendingWritten);
        Assert.Null(_forwarder.Macs.Lookup(RemoteMac)); // relays learn nothing
    }

    [Fact]
    public void FromSleeve_AGroRunForAnotherPeer_RelayedAsOneGsoSend()
    {
        // Five datagrams of one GRO run (the last shorter), all for the right peer.
        byte[][] run = [.. Enumerable.Range(0, 5).Select(i => Sleeve(SleeveKind.Unicast, s_left, s_right,
            Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: i < 4 ? 1200 : 700, fill: (byte)i)))];
        int segment = run[0].Length;

        FromSleeveRun(_left.SleeveEndPoint, segment, run);

        Assert.True(_sleeve.TryTakeSend(TimeSpan.Zero, out var sent));
        Assert.Equal(_right.SleeveEndPoint, sent.To);
        Assert.Equal(segment, sent.SegmentSize);
        Assert.Equal(run.SelectMany(d => d).ToArray(), sent.Datagram);
        Assert.Equal(0, _sleeve.PendingSent); // one send, not five
        Assert.Equal(5, _forwarder.Counters.SleeveRelayed);
    }

    [Fact]
    public void FromSleeve_AGroRunForTwoPeers_EachContiguousPartIsItsOwnSend()
    {
        // Datagrams for the right peer, one for us in the middle, then more for the right peer.
        byte[] toRight = Sleeve(SleeveKind.Unicast, s_left, s_right, Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 1000));
        byte[] toUs = Sleeve(SleeveKind.Unicast, s_left, s_self, Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 1000));

        FromSleeveRun(_left.SleeveEndPoint, toRight.Length, toRight, toRight, toUs, toRight);

        Assert.True(_sleeve.TryTakeSend(TimeSpan.Zero, out var first));
        Assert.Equal((toRight.Length, 2 * toRight.Length), (first.SegmentSize, first.Datagram.Length));
        Assert.True(_sleeve.TryTakeSend(TimeSpan.Zero, out var second));
        Assert.Equal(toRight, second.Datagram);
        Assert.Equal(0, _sleeve.PendingSent);
        Assert.Equal(1, _tap.PendingWritten);
    }

    [Fact]
    public void FromSleeve_AGroRunOfDatagramsAboveOurOwnSize_RelayedOnePerSend()
    {
        // A peer with a larger MTU than ours: its datagrams might not fit our path as GSO segments.
        using var small = new Forwarder(s_self, new ChannelTapDevice(), new ChannelDatagramTransport(), _sleeve, Vni, _time, NullLogger.Instance) { Mtu = 1000 };
        small.AddPeer(_left);
        small.AddPeer(_right);
        small.SetRoutes(RouteTable.Compute(s_self, new TopologyBuilder().Chain(0, 1, 2).Build(), establishedAndSymmetric: true));
        byte[] big = Sleeve(SleeveKind.Unicast, s_left, s_right, Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 1200));

        FromSleeveRun(small, _left.SleeveEndPoint, big.Length, big, big, big);

        for (int i = 0; i < 3; i++)
        {
            Assert.True(_sleeve.TryTakeSend(TimeSpan.Zero, out var sent));
            Assert.Equal(big, sent.Datagram);
            Assert.Equal(0, sent.SegmentSize);
        }
        Assert.Equal(0, _sleeve.PendingSent);
    }

    /// <summary>One receive slot holding a GRO run: the datagrams back to back, split every <paramref name="segment"/> bytes.</summary>
    private int FromSleeveRun(IPEndPoint from, int segment, params byte[][] datagrams) => FromSleeveRun(_forwarder, from, segment, datagrams);

    private static int FromSleeveRun(Forwarder forwarder, IPEndPoint from, int segment, params byte[][] datagrams)
    {
        var batch = new PacketBatch(1, allocateBuffers: true);
        byte[] run = [.. datagrams.SelectMany(d => d)];
        batch.Offsets[0] = PacketBatch.Headroom - SleeveHeader.SizeBytes;
        run.CopyTo(batch.Buffers[0], batch.Offsets[0]);
        batch.Lengths[0] = run.Length;
        batch.SegmentSizes[0] = segment;
        batch.Endpoints[0] = Weave.Linux.UdpEndpoint.FromIPEndPoint(from);
        batch.Count = 1;
        return forwarder.ForwardFromSleeve(batch);
    }

    [Fact]
    public void FromBridge_SourceSeenBehindPeerRecently_DroppedAsLooped_LaterMovedHere()
    {
        FromSleeve(_left.SleeveEndPoint, Sleeve(SleeveKind.Unicast, s_left, s_self, Frames.Ethernet(LocalMac, RemoteMac)));
        Assert.Equal(s_left, _forwarder.Macs.Lookup(RemoteMac));

        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, FromBridge(Frames.Ethernet(Frames.Broadcast, RemoteMac)));
        Assert.Equal(1, _forwarder.Counters.DropsLooped);

        _time.Advance(TimeSpan.FromSeconds(2)); // 11 s since it was last seen behind the left peer
        Assert.Equal(2, FromBridge(Frames.Ethernet(Frames.Broadcast, RemoteMac)));
        Assert.Equal(1, _forwarder.Counters.MacsMovedHere);
        Assert.Null(_forwarder.Macs.Lookup(RemoteMac));
    }

    [Fact]
    public void Learn_FromAnotherPeer_CountsAMove()
    {
        FromSleeve(_left.SleeveEndPoint, Sleeve(SleeveKind.Unicast, s_left, s_self, Frames.Ethernet(LocalMac, RemoteMac)));
        FromSleeve(_right.SleeveEndPoint, Sleeve(SleeveKind.Unicast, s_right, s_self, Frames.Ethernet(LocalMac, RemoteMac)));
        Assert.Equal(s_right, _forwarder.Macs.Lookup(RemoteMac));
        Assert.Equal(1, _forwarder.Counters.SleeveMacMoves);
    }

    [Fact]
    public void ExpireIdleMacs_ForgetsOnlyMacsIdleTenMinutes()
    {
        FromSleeve(_left.SleeveEndPoint, Sleeve(SleeveKind.Unicast, s_left, s_self, Frames.Ethernet(LocalMac, RemoteMac)));
        _time.Advance(TimeSpan.FromMinutes(6));
        FromSleeve(_left.SleeveEndPoint, Sleeve(SleeveKind.Unicast, s_left, s_self, Frames.Ethernet(LocalMac, RemoteMac + 1)));
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, _forwarder.ExpireIdleMacs(_time.GetTimestamp()));
        Assert.Null(_forwarder.Macs.Lookup(RemoteMac));
        Assert.Equal(s_left, _forwarder.Macs.Lookup(RemoteMac + 1));
        Assert.Equal(1, _forwarder.Counters.MacsExpired);
    }

    [Fact]
    public void SetRoutes_OfAnotherPeer_Throws()
    {
        RouteTable other = RouteTable.Compute(s_left, new TopologyBuilder().Chain(0, 1, 2).Build(), establishedAndSymmetric: true);
        Assert.Throws<ArgumentException>(() => _forwarder.SetRoutes(other));
    }

    /// <summary>House rule 1 on the sleeve path: relaying, delivering and relaying floods allocate nothing.</summary>
    [Fact]
    public void FromSleeve_RelayDeliverAndFloodAfterWarmUp_AllocatesNothing()
    {
        _tap.Record = false;
        _sleeve.Record = false;
        var datagrams = new PacketBatch(3, allocateBuffers: true);
        byte[][] inputs =
        [
            Sleeve(SleeveKind.Unicast, s_left, s_right, Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 1400)),
            Sleeve(SleeveKind.Unicast, s_left, s_self, Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 1400)),
            Sleeve(SleeveKind.Flood, s_left, s_self, Frames.Ethernet(Frames.Broadcast, RemoteMac, payloadBytes: 100)),
        ];
        for (int i = 0; i < inputs.Length; i++)
        {
            datagrams.Offsets[i] = PacketBatch.Headroom - SleeveHeader.SizeBytes;
            inputs[i].CopyTo(datagrams.Buffers[i], datagrams.Offsets[i]);
            datagrams.Lengths[i] = inputs[i].Length;
            datagrams.Endpoints[i] = _left.SleeveAddress;
        }
        datagrams.Count = inputs.Length;
        for (int i = 0; i < 100; i++)
        {
            _forwarder.ForwardFromSleeve(datagrams);
        }
        long relayedBefore = _forwarder.Counters.SleeveRelayed + _forwarder.Counters.SleeveFloodsRelayed;
        // A background tier-1 recompile can land on this thread once, on a loaded machine; an
        // allocation on the per-packet path shows in every round.
        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                _forwarder.ForwardFromSleeve(datagrams);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(rounds[^1] == 0, $"bytes allocated per round of 30,000 datagrams: {string.Join(", ", rounds)}");
        Assert.Equal(rounds.Count * 20_000L, _forwarder.Counters.SleeveRelayed + _forwarder.Counters.SleeveFloodsRelayed - relayedBefore);
    }
}

using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>The data plane between in-memory TAP and UDP fakes, on its own threads or one batch at a time.</summary>
public sealed class ForwarderTests : IDisposable
{
    private const int Vni = 6783;
    private static readonly PeerName Self = new(0x1);
    private const ulong LocalMac = 0x0200_0000_0001;  // a pod on our bridge
    private const ulong RemoteMacA = 0x0200_0000_00A1; // a pod behind peer A
    private const ulong RemoteMacB = 0x0200_0000_00B1; // a pod behind peer B
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    private readonly ChannelTapDevice _tap = new();
    private readonly ChannelDatagramTransport _vxlan = new();
    private readonly ChannelDatagramTransport _sleeve = new();
    private readonly Forwarder _forwarder;
    private readonly DataPeer _peerA = new(new PeerName(0xA), "a(host-a)", new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6784));
    private readonly DataPeer _peerB = new(new PeerName(0xB), "b(host-b)", new IPEndPoint(IPAddress.Parse("192.0.2.2"), 6784));

    public ForwarderTests()
    {
        _forwarder = new Forwarder(Self, _tap, _vxlan, _sleeve, Vni, TimeProvider.System, NullLogger.Instance);
    }

    public void Dispose()
    {
        _forwarder.Dispose();
        _tap.Dispose();
        _vxlan.Dispose();
        _sleeve.Dispose();
    }

    private void StartWithPeers(params DataPeer[] peers)
    {
        foreach (DataPeer peer in peers)
        {
            _forwarder.AddPeer(peer);
        }
        _forwarder.Start();
    }

    /// <summary>The next frame sent to a peer; the TAP thread's heartbeats in between are skipped.</summary>
    private (byte[] Datagram, IPEndPoint To) TakeSent()
    {
        while (true)
        {
            Assert.True(_vxlan.TryTakeSent(s_wait, out var sent), "expected a datagram to be sent");
            if (!IsHeartbeat(sent.Datagram))
            {
                return sent;
            }
        }
    }

    private static bool IsHeartbeat(byte[] datagram) => HeartbeatBody.IsVxlanHeartbeat(datagram.AsSpan(VxlanHeader.SizeBytes));

    /// <summary>Nothing but heartbeats is left to take.</summary>
    private void AssertNoFramePending()
    {
        while (_vxlan.TryTakeSent(TimeSpan.Zero, out var sent))
        {
            Assert.True(IsHeartbeat(sent.Datagram), "a frame was sent that should not have been");
        }
    }

    private byte[] TakeWritten()
    {
        Assert.True(_tap.TryTakeWritten(s_wait, out byte[] frame), "expected a frame written to the bridge");
        return frame;
    }

    /// <summary>Delivers a frame from <paramref name="peer"/> and waits until it reached the bridge, so its source is learned.</summary>
    private void LearnFrom(DataPeer peer, ulong mac)
    {
        byte[] frame = Frames.Ethernet(LocalMac, mac);
        _vxlan.Deliver(Frames.Vxlan(Vni, frame), peer.EndPoint);
        Assert.Equal(frame, TakeWritten());
    }

    [Fact]
    public void FromBridge_BroadcastFrame_SentToEveryPeerWithVxlanHeader()
    {
        StartWithPeers(_peerA, _peerB);
        byte[] frame = Frames.Ethernet(Frames.Broadcast, LocalMac);
        _tap.Inject(frame);

        var first = TakeSent();
        var second = TakeSent();
        Assert.Equal([_peerA.EndPoint, _peerB.EndPoint], new[] { first.To, second.To }.OrderBy(e => e.ToString()));
        byte[] expected = [0x08, 0, 0, 0, 0x00, 0x1A, 0x7F, 0x00, .. frame];
        Assert.Equal(expected, first.Datagram);
        Assert.Equal(expected, second.Datagram);
        AssertNoFramePending();
    }

    [Fact]
    public void FromBridge_UnknownUnicast_FloodsToEveryPeer()
    {
        StartWithPeers(_peerA, _peerB);
        _tap.Inject(Frames.Ethernet(0x0200_0000_0999, LocalMac));
        var sent = new[] { TakeSent().To, TakeSent().To };
        Assert.Equal([_peerA.EndPoint, _peerB.EndPoint], sent.OrderBy(e => e.ToString()));
    }

    [Fact]
    public void FromPeer_KnownSender_WrittenToBridgeAndSourceLearned()
    {
        StartWithPeers(_peerA, _peerB);
        byte[] frame = Frames.Ethernet(LocalMac, RemoteMacA, payloadBytes: 1000);
        _vxlan.Deliver(Frames.Vxlan(Vni, frame), _peerA.EndPoint);

        Assert.Equal(frame, TakeWritten());
        Assert.Equal(_peerA.Name, _forwarder.Macs.Lookup(RemoteMacA));
        Assert.Equal(1, _forwarder.Counters.DatagramsReceived);
        WaitForCounter(() => _forwarder.Counters.FramesToBridge, 1);
    }

    [Fact]
    public void FromBridge_UnicastToLearnedMac_GoesOnlyToThatPeer()
    {
        StartWithPeers(_peerA, _peerB);
        LearnFrom(_peerB, RemoteMacB);

        byte[] unicast = Frames.Ethernet(RemoteMacB, LocalMac, fill: 1);
        byte[] sentinel = Frames.Ethernet(Frames.Broadcast, LocalMac, fill: 2);
        _tap.Inject(unicast);
        _tap.Inject(sentinel);

        var first = TakeSent();
        Assert.Equal(_peerB.EndPoint, first.To);
        Assert.Equal(unicast, first.Datagram[VxlanHeader.SizeBytes..]);
        // Then the flooded sentinel, once per peer, and nothing else: the unicast went to B alone.
        Assert.Equal(sentinel, TakeSent().Datagram[VxlanHeader.SizeBytes..]);
        Assert.Equal(sentinel, TakeSent().Datagram[VxlanHeader.SizeBytes..]);
        AssertNoFramePending();
    }

    [Fact]
    public void FromBridge_MulticastToLearnedMac_StillFloods()
    {
        const ulong multicastMac = 0x0100_5E00_0001;
        StartWithPeers(_peerA, _peerB);
        LearnFrom(_peerB, multicastMac); // a bogus peer sends from a group address
        _tap.Inject(Frames.Ethernet(multicastMac, LocalMac));
        var sent = new[] { TakeSent().To, TakeSent().To };
        Assert.Equal([_peerA.EndPoint, _peerB.EndPoint], sent.OrderBy(e => e.ToString()));
    }

    public static TheoryData<string, byte[], bool> BadDatagrams()
    {
        byte[] frame = Frames.Ethernet(LocalMac, 0x0200_0000_0BAD);
        byte[] badFlags = Frames.Vxlan(Vni, frame);
        badFlags[0] = 0x0C;
        byte[] reservedSet = Frames.Vxlan(Vni, frame);
        reservedSet[7] = 1;
        return new TheoryData<string, byte[], bool>
        {
            { "wrong VNI", Frames.Vxlan(Vni + 1, frame), false },
            { "bad flags", badFlags, false },
            { "reserved bits", reservedSet, false },
            { "header only", Frames.Vxlan(Vni, []), false },
            { "runt frame", Frames.Vxlan(Vni, frame[..13]), false },
            { "too short for a header", [0x08, 0, 0], false },
            { "unknown sender", Frames.Vxlan(Vni, frame), true },
        };
    }

    [Theory]
    [MemberData(nameof(BadDatagrams))]
    public void FromPeer_BadDatagram_DroppedAndCounted(string description, byte[] datagram, bool fromStranger)
    {
        StartWithPeers(_peerA);
        var stranger = new IPEndPoint(IPAddress.Parse("198.51.100.7"), 6784);
        _vxlan.Deliver(datagram, fromStranger ? stranger : _peerA.EndPoint);
        LearnFrom(_peerA, RemoteMacA); // the sentinel: delivered after the bad datagram, so it was handled

        Assert.Equal(0, _tap.PendingWritten);
        Assert.Null(_forwarder.Macs.Lookup(0x0200_0000_0BAD));
        ForwarderCounters counters = _forwarder.Counters;
        Assert.True(counters.DatagramsReceived == 2, description);
        Assert.Equal(fromStranger ? 0 : 1, counters.DropsBadHeader);
        Assert.Equal(fromStranger ? 1 : 0, counters.DropsUnknownSender);
        WaitForCounter(() => counters.FramesToBridge, 1);
    }

    [Fact]
    public void FromPeer_SamePeerIpOtherPort_IsUnknownSender()
    {
        StartWithPeers(_peerA);
        _vxlan.Deliver(Frames.Vxlan(Vni, Frames.Ethernet(LocalMac, RemoteMacA)), new IPEndPoint(_peerA.EndPoint.Address, 9999));
        LearnFrom(_peerA, RemoteMacB);
        Assert.Equal(1, _forwarder.Counters.DropsUnknownSender);
        Assert.Null(_forwarder.Macs.Lookup(RemoteMacA));
    }

    [Fact]
    public void RemovePeer_ForgetsItsMacsAndDropsItsDatagrams()
    {
        StartWithPeers(_peerA, _peerB);
        LearnFrom(_peerA, RemoteMacA);
        LearnFrom(_peerB, RemoteMacB);

        _forwarder.RemovePeer(_peerA.Name);

        Assert.Null(_forwarder.Macs.Lookup(RemoteMacA));
        Assert.Equal(_peerB.Name, _forwarder.Macs.Lookup(RemoteMacB));
        Assert.Equal([_peerB], _forwarder.Peers);
        _vxlan.Deliver(Frames.Vxlan(Vni, Frames.Ethernet(LocalMac, RemoteMacA)), _peerA.EndPoint);
        LearnFrom(_peerB, RemoteMacB);
        Assert.Equal(1, _forwarder.Counters.DropsUnknownSender);
        Assert.Null(_forwarder.Macs.Lookup(RemoteMacA));
    }

    [Fact]
    public void RemovePeer_Unknown_IsIgnored()
    {
        _forwarder.AddPeer(_peerA);
        _forwarder.RemovePeer(new PeerName(0x99));
        Assert.Equal([_peerA], _forwarder.Peers);
    }

    [Fact]
    public void AddPeer_SameNameNewAddress_ReplacesPeerAndForgetsItsMacs()
    {
        StartWithPeers(_peerA, _peerB);
        LearnFrom(_peerA, RemoteMacA);
        var moved = new DataPeer(_peerA.Name, _peerA.Display, new IPEndPoint(IPAddress.Parse("192.0.2.101"), 6784));

        _forwarder.AddPeer(moved);

        Assert.Equal(2, _forwarder.Peers.Count);
        Assert.Contains(moved, _forwarder.Peers);
        Assert.DoesNotContain(_peerA, _forwarder.Peers);
        Assert.Null(_forwarder.Macs.Lookup(RemoteMacA));
    }

    [Fact]
    public void FromBridge_SourceMacKnownBehindPeer_DroppedAsLooped()
    {
        StartWithPeers(_peerA, _peerB);
        LearnFrom(_peerA, RemoteMacA);

        _tap.Inject(Frames.Ethernet(Frames.Broadcast, RemoteMacA, fill: 1)); // our own injection, come back
        byte[] sentinel = Frames.Ethernet(Frames.Broadcast, LocalMac, fill: 2);
        _tap.Inject(sentinel);

        Assert.Equal(sentinel, TakeSent().Datagram[VxlanHeader.SizeBytes..]);
        Assert.Equal(sentinel, TakeSent().Datagram[VxlanHeader.SizeBytes..]);
        AssertNoFramePending();
        Assert.Equal(1, _forwarder.Counters.DropsLooped);
        Assert.Equal(2, _forwarder.Counters.FramesFromBridge);
    }

    [Fact]
    public void FromBridge_NoPeers_DroppedAndCounted()
    {
        var frames = new PacketBatch(4, allocateBuffers: true);
        Fill(frames, Frames.Ethernet(Frames.Broadcast, LocalMac), Frames.Ethernet(RemoteMacA, LocalMac));

        Assert.Equal(0, _forwarder.ForwardFromBridge(frames));
        Assert.Equal(2, _forwarder.Counters.DropsNoPeers);
        Assert.Equal(0, _vxlan.SendCount);
    }

    [Fact]
    public void FromBridge_RuntFrame_DroppedAsTooShort()
    {
        _forwarder.AddPeer(_peerA);
        var frames = new PacketBatch(4, allocateBuffers: true);
        Fill(frames, new byte[EthernetFrame.HeaderSizeBytes - 1], []);

        Assert.Equal(0, _forwarder.ForwardFromBridge(frames));
        Assert.Equal(2, _forwarder.Counters.DropsTooShort);
    }

    [Fact]
    public void FromBridge_FloodLargerThanSendBatch_SendsEveryCopy()
    {
        const int peerCount = 10;
        for (int i = 0; i < peerCount; i++)
        {
            _forwarder.AddPeer(new DataPeer(new PeerName((ulong)(0x100 + i)), $"p{i}", new IPEndPoint(IPAddress.Parse($"192.0.2.{10 + i}"), 6784)));
        }
        var frames = new PacketBatch(8, allocateBuffers: true);
        Fill(frames, [.. Enumerable.Range(0, 8).Select(i => Frames.Ethernet(Frames.Broadcast, LocalMac, fill: (byte)i))]);

        Assert.Equal(8 * peerCount, _forwarder.ForwardFromBridge(frames));
        Assert.Equal(8 * peerCount, _vxlan.SendCount);
        Assert.Equal(8 * peerCount, _forwarder.Counters.DatagramsSent);
        for (int i = 0; i < 8 * peerCount; i++)
        {
            Assert.True(_vxlan.TryTakeSent(TimeSpan.Zero, out var sent));
            Assert.Equal((byte)(i / peerCount), sent.Datagram[^1]);
        }
    }

    [Fact]
    public void FromPeer_BridgeRefusesFrames_Counted()
    {
        _forwarder.AddPeer(_peerA);
        _tap.AcceptLimit = 1;
        var datagrams = DatagramBatch(3);
        for (int i = 0; i < 3; i++)
        {
            SetDatagram(datagrams, i, Frames.Vxlan(Vni, Frames.Ethernet(LocalMac, RemoteMacA)), _peerA);
        }
        datagrams.Count = 3;

        Assert.Equal(1, _forwarder.ForwardFromVxlan(datagrams));
        Assert.Equal(1, _forwarder.Counters.FramesToBridge);
        Assert.Equal(2, _forwarder.Counters.DropsBridgeRefused);
    }

    [Fact]
    public void Dispose_StopsBothThreadsPromptly()
    {
        StartWithPeers(_peerA);
        LearnFrom(_peerA, RemoteMacA);
        long started = TimeProvider.System.GetTimestamp();
        _forwarder.Dispose();
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void Constructor_VniOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Forwarder(Self, _tap, _vxlan, _sleeve, -1, TimeProvider.System, NullLogger.Instance));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Forwarder(Self, _tap, _vxlan, _sleeve, VxlanHeader.MaxVni + 1, TimeProvider.System, NullLogger.Instance));
    }

    /// <summary>
    /// House rule 1: the per-packet path does not allocate, in either direction, fast path included:
    /// per round at least 100,000 MTU-sized frames each way, with super-frames cut into GSO sends
    /// towards peers and GRO runs of TCP segments coalesced towards the bridge.
    /// </summary>
    [Fact]
    public void ForwardBothWays_100000FramesWithGsoAndCoalescingAfterWarmUp_AllocatesNothing()
    {
        const int plainFrames = 36;
        const int superFrames = 4;
        const int segmentsPerSuperFrame = 44;
        const int runSegments = 40;
        const ulong tcpDestination = 0x0200_0000_00C1; // a pod behind A, receiving the TCP stream
        const ulong tcpSource = 0x0200_0000_00C2;      // a pod behind A, sending one to us
        const int framesEachWay = 100_000;
        _tap.Record = false;
        _vxlan.Record = false;
        _forwarder.AddPeer(_peerA);
        _forwarder.AddPeer(_peerB);
        _forwarder.Macs.Learn(RemoteMacA, _peerA.Name, 0);
        _forwarder.Macs.Learn(RemoteMacB, _peerB.Name, 0);
        _forwarder.Macs.Learn(tcpDestination, _peerA.Name, 0);

        // Bridge → peers: broadcast, known unicast to A and B, unknown unicast (1-1500 byte
        // payloads), and TCP super-frames of 44 segments to A (each two GSO sends: 43 + 1).
        var frames = new PacketBatch(plainFrames + superFrames, allocateBuffers: true);
        ulong[] destinations = [Frames.Broadcast, RemoteMacA, RemoteMacB, 0x0200_0000_0999];
        byte[] super = TcpTraffic.SuperFrame(tcpDestination, LocalMac, segmentsPerSuperFrame * TcpTraffic.Mss);
        Fill(frames, [.. Enumerable.Range(0, plainFrames).Select(i => Frames.Ethernet(destinations[i % 4], LocalMac, payloadBytes: 1 + (i * 37 % 1500))),
            .. Enumerable.Repeat(super, superFrames)]);
        for (int i = plainFrames; i < frames.Count; i++)
        {
            frames.Offloads[i] = TcpTraffic.Gso();
        }
        int txFramesPerBatch = plainFrames + (superFrames * segmentsPerSuperFrame);

        // Peers → bridge: alternating senders (sources already learned), then a GRO run of 40 TCP
        // segments from A that coalesce into one super-frame.
        PacketBatch datagrams = DatagramBatch(plainFrames + 1);
        for (int i = 0; i < plainFrames; i++)
        {
            DataPeer from = i % 2 == 0 ? _peerA : _peerB;
            ulong source = i % 2 == 0 ? RemoteMacA : RemoteMacB;
            SetDatagram(datagrams, i, Frames.Vxlan(Vni, Frames.Ethernet(LocalMac, source, payloadBytes: 1 + (i * 37 % 1500))), from);
        }
        var (run, segmentSize) = TcpTraffic.GroRun(Vni, TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, tcpSource, runSegments * TcpTraffic.Mss)));
        SetDatagram(datagrams, plainFrames, run, _peerA);
        datagrams.SegmentSizes[plainFrames] = segmentSize;
        datagrams.Count = plainFrames + 1;
        int rxFramesPerBatch = plainFrames + runSegments;
        _forwarder.Macs.Learn(tcpSource, _peerA.Name, 0);

        int batches = (framesEachWay + rxFramesPerBatch - 1) / rxFramesPerBatch;
        for (int i = 0; i < 200; i++)
        {
            _forwarder.ForwardFromBridge(frames);
            _forwarder.ForwardFromVxlan(datagrams);
        }
        ForwarderCounters counters = _forwarder.Counters;
        long sendsBefore = _vxlan.SendCount;
        long datagramsBefore = Interlocked.Read(ref _vxlan.DatagramCount);
        long segmentsBefore = counters.SegmentsFromBridge;
        long writesBefore = _tap.WriteCount;
        long coalescedBefore = counters.SegmentsCoalesced;
        long receivedBefore = counters.DatagramsReceived;

        // A background tier-1 recompile can land on this thread once, on a loaded machine; an
        // allocation on the per-packet path shows in every round.
        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < batches; i++)
            {
                _forwarder.ForwardFromBridge(frames);
                _forwarder.ForwardFromVxlan(datagrams);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        long total = rounds.Count * (long)batches;
        Assert.True(rounds[^1] == 0, $"bytes allocated per round of {batches * txFramesPerBatch:N0} frames out and {batches * rxFramesPerBatch:N0} in: {string.Join(", ", rounds)}");
        Assert.True(batches * txFramesPerBatch >= framesEachWay && batches * rxFramesPerBatch >= framesEachWay);
        // Every frame went somewhere: broadcast and unknown unicast to both peers, known unicast to
        // one; each super-frame in two GSO sends to A.
        Assert.Equal(total * (((plainFrames / 4) * (2 + 1 + 1 + 2)) + (superFrames * 2)), _vxlan.SendCount - sendsBefore);
        Assert.Equal(total * (((plainFrames / 4) * (2 + 1 + 1 + 2)) + (superFrames * segmentsPerSuperFrame)), Interlocked.Read(ref _vxlan.DatagramCount) - datagramsBefore);
        Assert.Equal(total * superFrames * segmentsPerSuperFrame, counters.SegmentsFromBridge - segmentsBefore);
        Assert.Equal(total * rxFramesPerBatch, counters.DatagramsReceived - receivedBefore);
        Assert.Equal(total * (plainFrames + 1), _tap.WriteCount - writesBefore);
        Assert.Equal(total * (runSegments - 1), counters.SegmentsCoalesced - coalescedBefore);
        Assert.Equal(0, counters.DropsLooped + counters.DropsBadHeader + counters.DropsUnknownSender + counters.DropsBadOffload);
    }

    /// <summary>
    /// Waits for a counter the forwarder's thread updates after handing a batch over (the test can
    /// see the batch a moment before the count), then checks it stays exact.
    /// </summary>
    private static void WaitForCounter(Func<long> read, long expected)
    {
        SpinWait.SpinUntil(() => read() >= expected, s_wait);
        Assert.Equal(expected, read());
    }

    private static void Fill(PacketBatch batch, params byte[][] frames)
    {
        for (int i = 0; i < frames.Length; i++)
        {
            frames[i].CopyTo(batch.Buffers[i], PacketBatch.Headroom);
            batch.Offsets[i] = PacketBatch.Headroom;
            batch.Lengths[i] = frames[i].Length;
        }
        batch.Count = frames.Length;
    }

    private static PacketBatch DatagramBatch(int capacity)
    {
        var batch = new PacketBatch(capacity, allocateBuffers: true);
        Array.Fill(batch.Offsets, PacketBatch.Headroom - VxlanHeader.SizeBytes);
        return batch;
    }

    private static void SetDatagram(PacketBatch batch, int slot, byte[] datagram, DataPeer from)
    {
        datagram.CopyTo(batch.Buffers[slot], batch.Offsets[slot]);
        batch.Lengths[slot] = datagram.Length;
        batch.Endpoints[slot] = from.Address;
        batch.SegmentSizes[slot] = 0;
    }
}

using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>The fast path: super-frames from the TAP cut into GSO sends, GRO runs split, and TCP
/// segments coalesced into super-frames for the TAP; one batch at a time, on the test's thread.</summary>
public sealed class ForwarderOffloadTests : IDisposable
{
    private const int Vni = 6783;
    private const ulong LocalMac = 0x0200_0000_0001;
    private const ulong RemoteMacA = 0x0200_0000_00A1;
    private const int SegmentDatagram = VxlanHeader.SizeBytes + TcpTraffic.HeaderLength + TcpTraffic.Mss; // 1,522

    private readonly DataPeer _peerA = new(new PeerName(0xA), "a(host-a)", new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6784));
    private readonly DataPeer _peerB = new(new PeerName(0xB), "b(host-b)", new IPEndPoint(IPAddress.Parse("192.0.2.2"), 6784));
    private ChannelTapDevice _tap = new();
    private ChannelDatagramTransport _vxlan = new();
    private ChannelDatagramTransport _sleeve = new();
    private Forwarder _forwarder;

    public ForwarderOffloadTests() => _forwarder = Create(offloads: true);

    public void Dispose() => _forwarder.Dispose();

    private Forwarder Create(bool offloads)
    {
        _tap = new ChannelTapDevice(supportsOffloads: offloads);
        _vxlan = new ChannelDatagramTransport();
        _sleeve = new ChannelDatagramTransport();
        var forwarder = new Forwarder(new PeerName(0x1), _tap, _vxlan, _sleeve, Vni, TimeProvider.System, NullLogger.Instance);
        forwarder.AddPeer(_peerA);
        forwarder.AddPeer(_peerB);
        return forwarder;
    }

    private int FromBridge(byte[] frame, VirtioNetHeader offload) =>
        _forwarder.ForwardFromBridge(Frames.FromBridge(frame, offload));

    private int FromPeer(DataPeer peer, params (byte[] Data, int SegmentSize)[] slots)
    {
        var datagrams = new PacketBatch(slots.Length, allocateBuffers: true);
        for (int i = 0; i < slots.Length; i++)
        {
            datagrams.Offsets[i] = PacketBatch.Headroom - VxlanHeader.SizeBytes;
            slots[i].Data.CopyTo(datagrams.Buffers[i], datagrams.Offsets[i]);
            datagrams.Lengths[i] = slots[i].Data.Length;
            datagrams.SegmentSizes[i] = slots[i].SegmentSize;
            datagrams.Endpoints[i] = peer.Address;
        }
        datagrams.Count = slots.Length;
        return _forwarder.ForwardFromVxlan(datagrams);
    }

    private List<(byte[] Datagram, IPEndPoint To, int SegmentSize)> Sent()
    {
        var sent = new List<(byte[], IPEndPoint, int)>();
        while (_vxlan.TryTakeSend(TimeSpan.Zero, out var send))
        {
            sent.Add(send);
        }
        return sent;
    }

    private List<(byte[] Frame, VirtioNetHeader Offload)> Written()
    {
        var written = new List<(byte[], VirtioNetHeader)>();
        while (_tap.TryTakeWrittenWithOffload(TimeSpan.Zero, out var frame))
        {
            written.Add(frame);
        }
        return written;
    }

    [Fact]
    public void FromBridge_SuperFrameToKnownPeer_OneGsoSendOfVxlanSegments()
    {
        _forwarder.Macs.Learn(RemoteMacA, _peerA.Name, 0);
        byte[] super = TcpTraffic.SuperFrame(RemoteMacA, LocalMac, payload: 20_000);

        Assert.Equal(1, FromBridge(super, TcpTraffic.Gso()));

        var send = Assert.Single(Sent());
        Assert.Equal(_peerA.EndPoint, send.To);
        Assert.Equal(SegmentDatagram, send.SegmentSize);
        List<byte[]> datagrams = TcpTraffic.Split(send.Datagram, send.SegmentSize);
        byte[][] expected = TcpTraffic.Segments(super);
        Assert.Equal(14, expected.Length);
        Assert.Equal(expected.Length, datagrams.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(VxlanHeader.TryRead(datagrams[i], out int vni));
            Assert.Equal(Vni, vni);
            byte[] inner = datagrams[i][VxlanHeader.SizeBytes..];
            Assert.Equal(expected[i], inner);
            Assert.True(TcpTraffic.TcpChecksumIsValid(inner));
            Assert.True(InternetChecksum.IsValidIPv4Header(inner.AsSpan(14)));
        }
        Assert.Equal(14, _forwarder.Counters.SegmentsFromBridge);
    }

    [Theory]
    [InlineData(65_000, TcpTraffic.Mss, new[] { 43, 2 })]   // 45 segments of 1,522 bytes exceed 65,507: cut at 43
    [InlineData(60_000, 500, new[] { 64, 56 })]             // 120 segments: cut at 64
    public void FromBridge_LargeSuperFrame_SplitAtGsoCaps(int payload, int mss, int[] segmentsPerSend)
    {
        _forwarder.Macs.Learn(RemoteMacA, _peerA.Name, 0);
        byte[] super = TcpTraffic.SuperFrame(RemoteMacA, LocalMac, payload);

        FromBridge(super, TcpTraffic.Gso(mss));

        var sends = Sent();
        Assert.Equal(segmentsPerSend.Length, sends.Count);
        byte[][] expected = TcpTraffic.Segments(super, mss);
        var received = new List<byte[]>();
        for (int i = 0; i < sends.Count; i++)
        {
            Assert.True(sends[i].Datagram.Length <= UdpBatch.MaxIPv4Payload);
            List<byte[]> datagrams = TcpTraffic.Split(sends[i].Datagram, sends[i].SegmentSize);
            Assert.Equal(segmentsPerSend[i], datagrams.Count);
            received.AddRange(datagrams.Select(d => d[VxlanHeader.SizeBytes..]));
        }
        Assert.Equal(expected, received);
    }

    [Fact]
    public void FromBridge_SuperFrameToUnknownMac_OneGsoSendPerPeer()
    {
        byte[] super = TcpTraffic.SuperFrame(0x0200_0000_0999, LocalMac, payload: 5000);

        Assert.Equal(2, FromBridge(super, TcpTraffic.Gso()));

        var sends = Sent();
        Assert.Equal([_peerA.EndPoint, _peerB.EndPoint], sends.Select(s => s.To).OrderBy(e => e.ToString()));
        Assert.Equal(sends[0].Datagram, sends[1].Datagram);
        Assert.Equal(4, TcpTraffic.Split(sends[0].Datagram, sends[0].SegmentSize).Count);
    }

    [Fact]
    public void FromBridge_GsoFrameThatIsNotTcp_DroppedAsBadOffload()
    {
        byte[] frame = Frames.Ethernet(RemoteMacA, LocalMac, payloadBytes: 3000);

        Assert.Equal(0, FromBridge(frame, TcpTraffic.Gso()));
        Assert.Empty(Sent());
        Assert.Equal(1, _forwarder.Counters.DropsBadOffload);
    }

    [Fact]
    public void FromPeer_GroRun_SplitIntoItsDatagramsInOrder()
    {
        // Not TCP: nothing to coalesce; the last datagram is shorter, as GRO allows.
        byte[][] frames = [.. Enumerable.Range(0, 3).Select(i => Frames.Ethernet(LocalMac, RemoteMacA, payloadBytes: i == 2 ? 60 : 100, fill: (byte)i))];
        var (run, segmentSize) = TcpTraffic.GroRun(Vni, frames);

        Assert.Equal(3, FromPeer(_peerA, (run, segmentSize)));

        Assert.Equal(frames, Written().Select(w => w.Frame));
        Assert.Equal(3, _forwarder.Counters.DatagramsReceived);
        Assert.Equal(_peerA.Name, _forwarder.Macs.Lookup(RemoteMacA));
    }

    [Fact]
    public void FromPeer_GroRunWithBadDatagram_OthersDelivered()
    {
        byte[][] frames = [.. Enumerable.Range(0, 3).Select(i => Frames.Ethernet(LocalMac, RemoteMacA, fill: (byte)i))];
        var (run, segmentSize) = TcpTraffic.GroRun(Vni, frames);
        run[segmentSize + 7] = 1; // reserved bits of the second header

        Assert.Equal(2, FromPeer(_peerA, (run, segmentSize)));

        Assert.Equal([frames[0], frames[2]], Written().Select(w => w.Frame));
        Assert.Equal(1, _forwarder.Counters.DropsBadHeader);
    }

    [Fact]
    public void FromPeer_GroRunFromStranger_EveryDatagramDropped()
    {
        var stranger = new DataPeer(new PeerName(0x99), "x", new IPEndPoint(IPAddress.Parse("198.51.100.7"), 6784));
        var (run, segmentSize) = TcpTraffic.GroRun(Vni, [.. Enumerable.Range(0, 3).Select(_ => Frames.Ethernet(LocalMac, RemoteMacA))]);

        Assert.Equal(0, FromPeer(stranger, (run, segmentSize)));
        Assert.Equal(3, _forwarder.Counters.DropsUnknownSender);
    }

    [Fact]
    public void FromPeer_TcpSegmentsOfOneFlow_CoalescedIntoOneSuperFrame()
    {
        byte[] super = TcpTraffic.SuperFrame(LocalMac, RemoteMacA, payload: 20_000);
        byte[][] segments = TcpTraffic.Segments(super);
        var (run, segmentSize) = TcpTraffic.GroRun(Vni, segments);

        Assert.Equal(1, FromPeer(_peerA, (run, segmentSize)));

        var (frame, offload) = Assert.Single(Written());
        TcpTraffic.AssertCoalesced(segments, frame, offload);
        Assert.Equal(segments.Length - 1, _forwarder.Counters.SegmentsCoalesced);
        Assert.Equal(segments.Length, _forwarder.Counters.DatagramsReceived);
    }

    [Fact]
    public void FromPeer_SegmentsAcrossSlots_CoalescedIntoOneSuperFrame()
    {
        byte[][] segments = TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, RemoteMacA, payload: 10_000));
        var first = TcpTraffic.GroRun(Vni, segments[..3]);
        var second = TcpTraffic.GroRun(Vni, segments[3..]);

        Assert.Equal(1, FromPeer(_peerA, first, second));

        var (frame, offload) = Assert.Single(Written());
        TcpTraffic.AssertCoalesced(segments, frame, offload);
    }

    [Fact]
    public void FromPeer_MissingSegment_TwoRuns()
    {
        byte[][] segments = TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, RemoteMacA, payload: 10_000));
        byte[][] arrived = [.. segments[..3], .. segments[4..]];

        FromPeer(_peerA, TcpTraffic.GroRun(Vni, arrived));

        var written = Written();
        Assert.Equal(2, written.Count);
        TcpTraffic.AssertCoalesced(segments[..3], written[0].Frame, written[0].Offload);
        TcpTraffic.AssertCoalesced(segments[4..], written[1].Frame, written[1].Offload);
    }

    [Fact]
    public void FromPeer_SegmentWithBadChecksum_PassedOnAloneForTheReceiverToDrop()
    {
        byte[][] segments = TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, RemoteMacA, payload: 5000));
        segments[1][200] ^= 0xff;

        FromPeer(_peerA, TcpTraffic.GroRun(Vni, segments));

        var written = Written();
        Assert.Equal(3, written.Count);
        Assert.Equal(segments[0], written[0].Frame);
        Assert.Equal(default, written[0].Offload);
        Assert.Equal(segments[1], written[1].Frame);
        Assert.Equal(default, written[1].Offload);
        TcpTraffic.AssertCoalesced(segments[2..], written[2].Frame, written[2].Offload);
    }

    [Fact]
    public void FromPeer_InterleavedFlows_NotMergedAcross()
    {
        byte[][] a = TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, RemoteMacA, payload: 2 * TcpTraffic.Mss, flags: 0x10));
        byte[][] b = TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, 0x0200_0000_00A2, payload: 2 * TcpTraffic.Mss, flags: 0x10));

        FromPeer(_peerA, TcpTraffic.GroRun(Vni, [a[0], b[0], a[1], b[1]]));

        Assert.Equal([a[0], b[0], a[1], b[1]], Written().Select(w => w.Frame));
    }

    [Fact]
    public void FromPeer_MoreThan64KB_CutIntoSuperFramesUnderTheIPv4Limit()
    {
        // 50 segments of one flow, from two super-frames (the first without PSH) with consecutive IDs.
        byte[][] segments =
        [
            .. TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, RemoteMacA, payload: 40 * TcpTraffic.Mss, sequence: 1000, flags: 0x10)),
            .. TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, RemoteMacA, payload: 10 * TcpTraffic.Mss, sequence: 1000 + (40 * TcpTraffic.Mss), id: 0x1234 + 40)),
        ];
        var first = TcpTraffic.GroRun(Vni, segments[..40]);
        var second = TcpTraffic.GroRun(Vni, segments[40..]);

        FromPeer(_peerA, first, second);

        var written = Written();
        Assert.Equal(2, written.Count);
        int firstCount = (65_535 - 20 - 32) / TcpTraffic.Mss; // 45 segments fit one IPv4 packet
        TcpTraffic.AssertCoalesced(segments[..firstCount], written[0].Frame, written[0].Offload);
        TcpTraffic.AssertCoalesced(segments[firstCount..], written[1].Frame, written[1].Offload);
    }

    [Fact]
    public void FromPeer_TapWithoutOffloads_SegmentsWrittenOneByOne()
    {
        _forwarder.Dispose();
        _forwarder = Create(offloads: false);
        byte[][] segments = TcpTraffic.Segments(TcpTraffic.SuperFrame(LocalMac, RemoteMacA, payload: 5000));

        Assert.Equal(segments.Length, FromPeer(_peerA, TcpTraffic.GroRun(Vni, segments)));

        Assert.Equal(segments, Written().Select(w => w.Frame));
    }

    /// <summary>
    /// A coalesced super-frame is right when its virtio header describes it, its IPv4 header is
    /// valid, finishing its partial checksum gives a valid TCP checksum, and cutting it again
    /// gives back exactly the segments it was made of.
    /// </summary>
}

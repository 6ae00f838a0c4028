using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// Frames from the bridge above the overlay MTU: dropped and answered with ICMP into the TAP when
/// they may not be fragmented, forwarded when they may; one batch at a time on the test's thread.
/// </summary>
public sealed class ForwarderTooBigTests : IDisposable
{
    private const int Vni = 6783;
    private const int Mtu = 1444;

    private readonly DataPeer _peer = new(new PeerName(0xA), "a(host-a)", new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6784));
    private readonly ChannelTapDevice _tap = new();
    private readonly ChannelDatagramTransport _vxlan = new();
    private readonly ChannelDatagramTransport _sleeve = new();
    private readonly Forwarder _forwarder;

    public ForwarderTooBigTests()
    {
        _forwarder = new Forwarder(new PeerName(0x1), _tap, _vxlan, _sleeve, Vni, TimeProvider.System, NullLogger.Instance) { Mtu = Mtu };
        _forwarder.AddPeer(_peer);
        _forwarder.Macs.Learn(IpFrames.DestinationMac, _peer.Name, 0);
    }

    public void Dispose() => _forwarder.Dispose();

    [Fact]
    public void DfPacketAboveMtu_IsNotSent_AndTheTapGetsFragmentationNeeded()
    {
        byte[] frame = IpFrames.UdpV4(totalLength: Mtu + 1);

        Assert.Equal(0, FromBridge(frame));

        Assert.Equal(0, _vxlan.PendingSent);
        byte[] expected = new byte[TooBigReply.MaxFrameBytes];
        Assert.True(TooBigReply.TryWrite(frame, Mtu, expected, out int length));
        Assert.True(_tap.TryTakeWrittenWithOffload(TimeSpan.Zero, out var written));
        Assert.Equal(expected.AsSpan(0, length).ToArray(), written.Frame);
        Assert.Equal(default, written.Offload);
        Assert.Equal(Mtu, BinaryPrimitives.ReadUInt16BigEndian(written.Frame.AsSpan(14 + 20 + 6)));
        Assert.Equal(1, _forwarder.Counters.DropsTooBig);
        Assert.Equal(1, _forwarder.Counters.TooBigReplies);
    }

    [Fact]
    public void DfPacketOfExactlyTheMtu_IsSent()
    {
        Assert.Equal(1, FromBridge(IpFrames.UdpV4(totalLength: Mtu)));

        Assert.Equal(0, _tap.PendingWritten);
        Assert.Equal(0, _forwarder.Counters.DropsTooBig);
    }

    [Fact]
    public void PacketWithoutDfAboveMtu_IsSentWhole_ForTheKernelToFragment()
    {
        byte[] frame = IpFrames.UdpV4(totalLength: 3000, dontFragment: false);

        Assert.Equal(1, FromBridge(frame));

        Assert.True(_vxlan.TryTakeSent(TimeSpan.Zero, out var sent));
        Assert.Equal(VxlanHeader.SizeBytes + frame.Length, sent.Datagram.Length);
        Assert.Equal(0, _tap.PendingWritten);
    }

    [Fact]
    public void IPv6PacketAboveMtu_GetsPacketTooBig()
    {
        Assert.Equal(0, FromBridge(IpFrames.UdpV6(payloadLength: Mtu - 40 + 1)));

        Assert.True(_tap.TryTakeWritten(TimeSpan.Zero, out byte[] reply));
        Assert.Equal(0x86dd, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(12)));
        Assert.Equal(2, reply[14 + 40]); // ICMPv6 packet too big
        Assert.Equal((uint)Mtu, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(14 + 40 + 4)));
        Assert.Equal(0, _vxlan.PendingSent);
    }

    [Fact]
    public void SuperFrameWhoseSegmentsExceedMtu_IsAnswered_OneThatFits_IsSent()
    {
        // Segments of gso_size 1448 are 20 + 32 + 1448 = 1500-byte IP packets; of 1392, exactly 1444.
        byte[] super = TcpTraffic.SuperFrame(IpFrames.DestinationMac, IpFrames.SourceMac, 10 * 1448);

        Assert.Equal(0, FromBridge(super, TcpTraffic.Gso(1448)));
        Assert.True(_tap.TryTakeWritten(TimeSpan.Zero, out byte[] reply));
        Assert.Equal([3, 4], reply.AsSpan(34, 2).ToArray());
        Assert.Equal(super.AsSpan(14, 548).ToArray(), reply.AsSpan(42).ToArray());

        Assert.Equal(1, FromBridge(super, TcpTraffic.Gso(Mtu - 20 - 32)));
        Assert.Equal(0, _tap.PendingWritten);
        Assert.Equal(1, _forwarder.Counters.DropsTooBig);
    }

    [Fact]
    public void SuperFrameWithoutDfAboveMtu_IsDroppedWithoutAnswer()
    {
        byte[] super = TcpTraffic.SuperFrame(IpFrames.DestinationMac, IpFrames.SourceMac, 10 * 1448);
        super[14 + 6] = 0; // clear DF

        Assert.Equal(0, FromBridge(super, TcpTraffic.Gso(1448)));

        Assert.Equal(0, _tap.PendingWritten);
        Assert.Equal(0, _vxlan.PendingSent);
        Assert.Equal(1, _forwarder.Counters.DropsTooBig);
        Assert.Equal(0, _forwarder.Counters.TooBigReplies);
    }

    [Fact]
    public void BroadcastDfPacketAboveMtu_IsDroppedWithoutAnswer()
    {
        byte[] frame = IpFrames.UdpV4(totalLength: 2000);
        frame.AsSpan(0, 6).Fill(0xff);

        Assert.Equal(0, FromBridge(frame));

        Assert.Equal(0, _tap.PendingWritten);
        Assert.Equal(0, _vxlan.PendingSent);
        Assert.Equal(1, _forwarder.Counters.DropsTooBig);
    }

    [Fact]
    public void TapRefusingTheAnswer_StillDropsTheFrame()
    {
        _tap.AcceptLimit = 0;

        Assert.Equal(0, FromBridge(IpFrames.UdpV4(totalLength: 2000)));

        Assert.Equal(1, _forwarder.Counters.DropsTooBig);
        Assert.Equal(0, _forwarder.Counters.TooBigReplies);
    }

    [Fact]
    public void TooBigFrames_AllocateNothing()
    {
        _tap.Record = false;
        _vxlan.Record = false;
        var frames = new PacketBatch(32, allocateBuffers: true);
        byte[] df = IpFrames.UdpV4(totalLength: 1500);
        byte[] plain = IpFrames.UdpV4(totalLength: 1000);
        for (int i = 0; i < frames.Capacity; i++)
        {
            byte[] frame = i % 2 == 0 ? df : plain;
            frame.CopyTo(frames.Buffers[i], PacketBatch.Headroom);
            frames.Offsets[i] = PacketBatch.Headroom;
            frames.Lengths[i] = frame.Length;
        }
        frames.Count = frames.Capacity;
        for (int i = 0; i < 100; i++)
        {
            _forwarder.ForwardFromBridge(frames);
        }

        // A background tier-1 recompile can land on this thread once; a per-packet allocation shows every round.
        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000 / frames.Count; i++)
            {
                _forwarder.ForwardFromBridge(frames);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(rounds[^1] == 0, $"bytes allocated per round of 10,000 frames: {string.Join(", ", rounds)}");
        Assert.Equal(_forwarder.Counters.DropsTooBig, _forwarder.Counters.TooBigReplies);
        Assert.Equal(_forwarder.Counters.FramesFromBridge / 2, _forwarder.Counters.DropsTooBig);
    }

    private int FromBridge(byte[] frame, VirtioNetHeader offload = default)
    {
        var frames = new PacketBatch(1, allocateBuffers: true);
        frame.CopyTo(frames.Buffers[0], PacketBatch.Headroom);
        frames.Set(0, frames.Buffers[0], PacketBatch.Headroom, frame.Length);
        frames.Offloads[0] = offload;
        frames.Count = 1;
        return _forwarder.ForwardFromBridge(frames);
    }
}

using System.Buffers.Binary;
using Weave.Crypto;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Linux;
using Weave.Tests.Router;
using Xunit;

namespace Weave.Tests.Fuzz;

/// <summary>
/// Every decoder of what arrives on the data plane, fed random and damaged bytes
/// (<see cref="DecoderProperty"/>, 100k inputs each): from peers, the VXLAN and sleeve headers,
/// heartbeats, chunk headers and sealed datagrams; from pods through the TAP, the virtio-net header
/// and the frames the router reads (TCP super-frames, segments to coalesce, frames too big for the
/// overlay and the ICMP answer written for them).
/// </summary>
public sealed class DataDecoderProperties
{
    private static readonly PeerName s_alice = new(0x5e1a00000001), s_bob = new(0x5e1a00000002);

    [Fact]
    public void VxlanHeader_AnyBytes_ReadOrRefused()
    {
        byte[] datagram = Frames.Vxlan(6783, Frames.Ethernet(0x02_00_00_00_00_01, 0x02_00_00_00_00_02));
        DecoderProperty.Check("VxlanHeader.TryRead", [datagram], input => VxlanHeader.TryRead(input, out _));
    }

    [Fact]
    public void SleeveHeader_AnyBytes_ReadOrRefused()
    {
        byte[] plain = new byte[SleeveHeader.SizeBytes + 60], sealedDatagram = new byte[SleeveHeader.SealedOverheadBytes + 60];
        new SleeveHeader(SleeveKind.Unicast, s_alice, s_bob).Write(plain);
        new SleeveHeader(SleeveKind.Flood, s_alice, s_bob, Sealed: true).Write(sealedDatagram);
        DecoderProperty.Check("SleeveHeader.TryRead", [plain, sealedDatagram], input => SleeveHeader.TryRead(input, out _));
    }

    [Fact]
    public void Heartbeat_AnyBytes_ReadOrRefused()
    {
        byte[] body = new byte[HeartbeatBody.SizeBytes];
        HeartbeatBody.Write(body, s_alice, s_bob, HeartbeatBody.HeardSleeve | HeartbeatBody.HeardVxlan);
        DecoderProperty.Check("HeartbeatBody.TryRead", [body], input => HeartbeatBody.TryRead(input, out _, out _, out _));
    }

    [Fact]
    public void ChunkHeader_AnyBytes_ReadOrRefused()
    {
        byte[] payload = new byte[ChunkHeader.SizeBytes + 100];
        new ChunkHeader(7, 9000, 1400, VirtioNetHeader.GsoTcpV4, 1400).Write(payload);
        DecoderProperty.Check("ChunkHeader.TryRead", [payload], input => ChunkHeader.TryRead(input, out _));
    }

    [Fact]
    public void SealedDatagrams_AnyBytes_OpenedOrRefused()
    {
        byte[] key = new byte[32];
        byte[] header = new byte[SleeveHeader.SizeBytes];
        using var sealer = new DatagramSealer(CipherSuites.Supported[0], key, TimeProvider.System);
        byte[] buffer = new byte[RecordFormat.DatagramOverheadBytes + 64];
        Span<DatagramSlice> slices = [new DatagramSlice(RecordFormat.DatagramHeaderSizeBytes, 64)];
        Assert.True(sealer.TrySeal(buffer, slices, header));
        byte[] valid = buffer.AsSpan(slices[0].Offset, slices[0].Length).ToArray();
        // A fresh opener each time: a replayed counter is refused by design, and is not the point here.
        DecoderProperty.Check("DatagramOpener.Open", [valid], input =>
        {
            using var opener = new DatagramOpener(CipherSuites.Supported[0], key, new CryptoCounters());
            Span<DatagramSlice> received = [new DatagramSlice(0, input.Length)];
            Span<DatagramOpenStatus> results = stackalloc DatagramOpenStatus[1];
            opener.Open(input, received, header, results);
            return results[0] == DatagramOpenStatus.Opened;
        });
    }

    /// <summary>What a pod's super-frame looks like through the TAP: the virtio-net header, then the frame.</summary>
    private static byte[] WithOffload(byte gsoType, ushort gsoSize, byte[] frame)
    {
        byte[] input = new byte[VirtioNetHeader.Size + frame.Length];
        input[0] = VirtioNetHeader.FlagNeedsChecksum;
        input[1] = gsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(input.AsSpan(2), 66);
        BinaryPrimitives.WriteUInt16LittleEndian(input.AsSpan(4), gsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(input.AsSpan(6), 34);
        BinaryPrimitives.WriteUInt16LittleEndian(input.AsSpan(8), 16);
        frame.CopyTo(input, VirtioNetHeader.Size);
        return input;
    }

    private static readonly byte[][] s_tapInputs =
    [
        WithOffload(VirtioNetHeader.GsoTcpV4, 1400, TcpFrames.Build(ipv6: false, 4000, 1000, TcpFrames.Ack | TcpFrames.Psh)),
        WithOffload(VirtioNetHeader.GsoTcpV6, 1380, TcpFrames.Build(ipv6: true, 3000, 5, TcpFrames.Ack, vlan: true)),
        WithOffload(VirtioNetHeader.GsoNone, 0, TcpFrames.Build(ipv6: false, 100, 9, TcpFrames.Ack)),
        WithOffload(VirtioNetHeader.GsoNone, 0, IpFrames.UdpV4(1600)),
        WithOffload(VirtioNetHeader.GsoNone, 0, IpFrames.UdpV6(1600)),
    ];

    [Fact]
    public void TapSuperFrames_AnyBytes_ParsedOrRefused()
    {
        DecoderProperty.Check("TcpSegmenter.TryParse", s_tapInputs, input =>
            VirtioNetHeader.TryRead(input, out VirtioNetHeader offload) &&
            TcpSegmenter.TryParse(input.AsSpan(VirtioNetHeader.Size), offload, out _));
    }

    /// <summary>An IPv4 TCP segment as the kernel hands it over when not offloaded: both checksums complete.</summary>
    private static byte[] ChecksummedSegment(int payload, uint sequence)
    {
        byte[] frame = TcpFrames.Build(ipv6: false, payload, sequence, TcpFrames.Ack);
        Span<byte> ip = frame.AsSpan(14), tcp = ip[20..];
        InternetChecksum.WriteIPv4HeaderChecksum(ip[..20]);
        tcp[16] = tcp[17] = 0;
        uint pseudo = InternetChecksum.PseudoHeaderV4(ip.Slice(12, 4), ip.Slice(16, 4), 6, tcp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Add(tcp, pseudo)));
        return frame;
    }

    [Fact]
    public void Segments_AnyBytes_ReadOrRefused()
    {
        byte[][] frames = [ChecksummedSegment(1000, 77), ChecksummedSegment(1, 5), .. s_tapInputs.Select(i => i[VirtioNetHeader.Size..])];
        Assert.True(TcpCoalescer.TryReadSegment(frames[0], out _, out _, out _, out _));
        DecoderProperty.Check("TcpCoalescer.TryReadSegment", frames, input => TcpCoalescer.TryReadSegment(input, out _, out _, out _, out _));
    }

    [Fact]
    public void OversizeFrames_AnyBytes_ClassifiedAndAnsweredWithinTheReply()
    {
        byte[] reply = new byte[1500];
        DecoderProperty.Check("OversizeFrame.Classify + TooBigReply.TryWrite", s_tapInputs, input =>
        {
            VirtioNetHeader.TryRead(input, out VirtioNetHeader offload);
            ReadOnlySpan<byte> frame = input.AsSpan(Math.Min(VirtioNetHeader.Size, input.Length));
            _ = OversizeFrame.Classify(frame, offload, 1400);
            bool written = TooBigReply.TryWrite(frame, 1400, reply, out int length);
            Assert.InRange(length, 0, reply.Length);
            return written;
        });
    }
}

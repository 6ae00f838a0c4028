using System.Buffers.Binary;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

public sealed class TcpSegmenterTests
{
    private static VirtioNetHeader Gso(byte type, ushort size) =>
        new(VirtioNetHeader.FlagNeedsChecksum, type, 0, size, 0, 16);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Segment_ThreeSegmentSuperFrame_GivesThreeCorrectFrames(bool ipv6, bool vlan)
    {
        const uint Sequence = 0xffff_fc00; // wraps within the super-frame
        byte flags = TcpFrames.Ack | TcpFrames.Psh | TcpFrames.Fin | TcpFrames.Cwr;
        byte[] superFrame = TcpFrames.Build(ipv6, 2500, Sequence, flags, id: 0xfffe, vlan: vlan);
        byte type = ipv6 ? VirtioNetHeader.GsoTcpV6 : (byte)(VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn);

        Assert.True(TcpSegmenter.TryParse(superFrame, Gso(type, 1000), out TcpSuperFrame layout));
        int l2 = vlan ? 18 : 14;
        int ipHeader = ipv6 ? 40 : 20;
        Assert.Equal(l2, layout.NetworkOffset);
        Assert.Equal(l2 + ipHeader + 32, layout.HeaderLength);
        Assert.Equal(3, layout.SegmentCount);

        byte[] output = new byte[3 * (layout.HeaderLength + 1000)];
        int[] lengths = new int[8];
        Assert.Equal(3, TcpSegmenter.Segment(superFrame, layout, 0, output, 0, lengths));

        int[] payloads = [1000, 1000, 500];
        byte[][] expectedFlags =
        [
            [TcpFrames.Ack | TcpFrames.Cwr],
            [TcpFrames.Ack],
            [TcpFrames.Ack | TcpFrames.Psh | TcpFrames.Fin],
        ];
        int position = 0;
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(layout.HeaderLength + payloads[i], lengths[i]);
            ReadOnlySpan<byte> frame = output.AsSpan(position, lengths[i]);
            position += lengths[i];
            Assert.True(frame[..l2].SequenceEqual(superFrame.AsSpan(0, l2)));
            ReadOnlySpan<byte> ip = frame[l2..];
            ReadOnlySpan<byte> tcp = ip[ipHeader..];
            if (ipv6)
            {
                Assert.Equal(32 + payloads[i], BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
                Assert.True(TcpFrames.TcpChecksumIsValid(ip.Slice(8, 16), ip.Slice(24, 16), tcp));
            }
            else
            {
                Assert.Equal(20 + 32 + payloads[i], BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
                Assert.Equal((ushort)(0xfffe + i), BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
                Assert.Equal(0, TcpFrames.SlowChecksum(ip[..20]));
                Assert.True(TcpFrames.TcpChecksumIsValid(ip.Slice(12, 4), ip.Slice(16, 4), tcp));
            }
            Assert.Equal(unchecked(Sequence + (uint)(i * 1000)), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
            Assert.Equal(expectedFlags[i][0], tcp[13]);
            Assert.True(tcp[20..32].SequenceEqual(superFrame.AsSpan(layout.TcpOffset + 20, 12)), "options copied");
            Assert.True(tcp[32..].SequenceEqual(superFrame.AsSpan(layout.HeaderLength + (i * 1000), payloads[i])));
        }
    }

    [Fact]
    public void Segment_WithHeadroomAndShortOutput_StopsAndResumes()
    {
        byte[] superFrame = TcpFrames.Build(false, 4000, 1, TcpFrames.Ack);
        Assert.True(TcpSegmenter.TryParse(superFrame, Gso(VirtioNetHeader.GsoTcpV4, 1448), out TcpSuperFrame layout));
        Assert.Equal(3, layout.SegmentCount);
        int stride = 8 + layout.HeaderLength + 1448;
        byte[] output = new byte[(2 * stride) + 100];
        output.AsSpan().Fill(0xaa);
        int[] lengths = new int[3];

        Assert.Equal(2, TcpSegmenter.Segment(superFrame, layout, 0, output, 8, lengths));
        Assert.True(output.AsSpan(0, 8).IndexOfAnyExcept((byte)0xaa) < 0, "headroom untouched");
        Assert.True(output.AsSpan(stride, 8).IndexOfAnyExcept((byte)0xaa) < 0, "headroom untouched");
        Assert.Equal(layout.HeaderLength + 1448, lengths[1]);

        Assert.Equal(1, TcpSegmenter.Segment(superFrame, layout, 2, output, 8, lengths));
        Assert.Equal(layout.HeaderLength + 4000 - 2896, lengths[0]);
        ReadOnlySpan<byte> tcp = output.AsSpan(8 + layout.TcpOffset, lengths[0] - layout.TcpOffset);
        Assert.Equal(1u + 2896, BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
        Assert.True(TcpFrames.TcpChecksumIsValid(TcpFrames.SourceV4, TcpFrames.DestinationV4, tcp));

        Assert.Equal(0, TcpSegmenter.Segment(superFrame, layout, 3, output, 8, lengths));
    }

    [Fact]
    public void Segment_ExactMultiple_LastSegmentIsFull()
    {
        byte[] superFrame = TcpFrames.Build(true, 3000, 7, TcpFrames.Ack | TcpFrames.Psh);
        Assert.True(TcpSegmenter.TryParse(superFrame, Gso(VirtioNetHeader.GsoTcpV6, 1000), out TcpSuperFrame layout));
        Assert.Equal(3, layout.SegmentCount);
        Assert.Equal(layout.HeaderLength + 1000, layout.SegmentFrameLength(2));
    }

    [Fact]
    public void TryParse_IgnoresEthernetPaddingAfterTheIPPacket()
    {
        byte[] superFrame = [.. TcpFrames.Build(false, 3000, 7, TcpFrames.Ack), 0, 0, 0, 0];
        Assert.True(TcpSegmenter.TryParse(superFrame, Gso(VirtioNetHeader.GsoTcpV4, 1000), out TcpSuperFrame layout));
        Assert.Equal(3000, layout.PayloadLength);
    }

    [Fact]
    public void TryParse_RefusesWhatItCannotSegment()
    {
        byte[] v4 = TcpFrames.Build(false, 3000, 7, TcpFrames.Ack);
        byte[] v6 = TcpFrames.Build(true, 3000, 7, TcpFrames.Ack);
        Assert.False(TcpSegmenter.TryParse(v4, Gso(VirtioNetHeader.GsoTcpV6, 1000), out _), "type mismatch");
        Assert.False(TcpSegmenter.TryParse(v6, Gso(VirtioNetHeader.GsoTcpV4, 1000), out _), "type mismatch");
        Assert.False(TcpSegmenter.TryParse(v4, Gso(VirtioNetHeader.GsoNone, 1000), out _), "not GSO");
        Assert.False(TcpSegmenter.TryParse(v4, Gso(VirtioNetHeader.GsoUdpL4, 1000), out _), "UDP");
        Assert.False(TcpSegmenter.TryParse(v4, Gso(VirtioNetHeader.GsoTcpV4, 0), out _), "gso_size 0");
        Assert.False(TcpSegmenter.TryParse(v4.AsSpan(0, v4.Length - 1), Gso(VirtioNetHeader.GsoTcpV4, 1000), out _), "truncated");
        Assert.False(TcpSegmenter.TryParse(v4.AsSpan(0, 30), Gso(VirtioNetHeader.GsoTcpV4, 1000), out _), "truncated header");
        byte[] udp = (byte[])v4.Clone();
        udp[14 + 9] = 17;
        Assert.False(TcpSegmenter.TryParse(udp, Gso(VirtioNetHeader.GsoTcpV4, 1000), out _), "not TCP");
        byte[] noPayload = TcpFrames.Build(false, 0, 7, TcpFrames.Ack);
        Assert.False(TcpSegmenter.TryParse(noPayload, Gso(VirtioNetHeader.GsoTcpV4, 1000), out _), "no payload");
        byte[] badOffset = (byte[])v4.Clone();
        badOffset[14 + 20 + 12] = 0x20; // TCP data offset 8 bytes
        Assert.False(TcpSegmenter.TryParse(badOffset, Gso(VirtioNetHeader.GsoTcpV4, 1000), out _), "TCP header < 20");
    }
}

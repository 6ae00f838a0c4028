using System.Buffers.Binary;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Linux;

namespace Weave.Tests.Router;

/// <summary>TCP/IPv4 super-frames as a TAP with offloads hands them over, and the MTU-sized
/// segments (complete, with checksums) a peer sends for them.</summary>
internal static class TcpTraffic
{
    public const int HeaderLength = 14 + 20 + 32;
    public const int Mss = 1448;

    /// <summary>A super-frame of <paramref name="payload"/> bytes between two MACs (checksums partial/garbage).</summary>
    public static byte[] SuperFrame(ulong destination, ulong source, int payload, uint sequence = 1000, byte flags = TcpFrames.Ack | TcpFrames.Psh, ushort id = 0x1234)
    {
        byte[] frame = TcpFrames.Build(ipv6: false, payload, sequence, flags, id);
        WriteMac(frame, destination);
        WriteMac(frame.AsSpan(6), source);
        return frame;
    }

    /// <summary>The virtio header of a TCPv4 super-frame of MSS <paramref name="mss"/>.</summary>
    public static VirtioNetHeader Gso(int mss = Mss) =>
        new(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4, HeaderLength, (ushort)mss, 34, 16);

    /// <summary>What the kernel would cut the super-frame into: complete frames with checksums.</summary>
    public static byte[][] Segments(byte[] superFrame, int mss = Mss)
    {
        Assert(TcpSegmenter.TryParse(superFrame, Gso(mss), out TcpSuperFrame layout));
        byte[] output = new byte[layout.SegmentCount * (layout.HeaderLength + mss)];
        int[] lengths = new int[layout.SegmentCount];
        int count = TcpSegmenter.Segment(superFrame, layout, 0, output, 0, lengths);
        Assert(count == layout.SegmentCount);
        var segments = new byte[count][];
        int position = 0;
        for (int i = 0; i < count; i++)
        {
            segments[i] = output.AsSpan(position, lengths[i]).ToArray();
            position += lengths[i];
        }
        return segments;
    }

    /// <summary>VXLAN datagrams back to back, as a GRO receive delivers them; the segment size is the first's length.</summary>
    public static (byte[] Run, int SegmentSize) GroRun(int vni, IEnumerable<byte[]> frames)
    {
        byte[][] datagrams = [.. frames.Select(f => Frames.Vxlan(vni, f))];
        return ([.. datagrams.SelectMany(d => d)], datagrams[0].Length);
    }

    /// <summary>Splits a GSO send into its datagrams.</summary>
    public static List<byte[]> Split(byte[] send, int segmentSize)
    {
        var datagrams = new List<byte[]>();
        for (int at = 0; at < send.Length; at += segmentSize)
        {
            datagrams.Add(send.AsSpan(at, Math.Min(segmentSize, send.Length - at)).ToArray());
        }
        return datagrams;
    }

    public static bool TcpChecksumIsValid(byte[] frame) =>
        TcpFrames.TcpChecksumIsValid(frame.AsSpan(26, 4), frame.AsSpan(30, 4), frame.AsSpan(34));

    public static uint Sequence(byte[] frame) => BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(34 + 4));

    private static void WriteMac(Span<byte> destination, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)mac);
    }

    private static void Assert(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("bad test frame");
        }
    }

    /// <summary>Checks that <paramref name="frame"/> (written to the TAP with <paramref name="offload"/>) is
    /// <paramref name="segments"/> coalesced: cut again, it gives them back byte for byte.</summary>
    public static void AssertCoalesced(byte[][] segments, byte[] frame, VirtioNetHeader offload)
    {
        if (segments.Length == 1)
        {
            Xunit.Assert.Equal(segments[0], frame);
            Xunit.Assert.Equal(default, offload);
            return;
        }
        int mss = segments[0].Length - HeaderLength;
        Xunit.Assert.Equal(VirtioNetHeader.GsoTcpV4, offload.GsoType);
        Xunit.Assert.True(offload.NeedsChecksum);
        Xunit.Assert.Equal(mss, offload.GsoSize);
        Xunit.Assert.Equal(HeaderLength, offload.HeaderLength);
        Xunit.Assert.Equal(34, offload.ChecksumStart);
        Xunit.Assert.Equal(16, offload.ChecksumOffset);
        Xunit.Assert.Equal(HeaderLength + segments.Sum(s => s.Length - HeaderLength), frame.Length);
        Xunit.Assert.True(InternetChecksum.IsValidIPv4Header(frame.AsSpan(14)));
        Xunit.Assert.Equal(Sequence(segments[0]), Sequence(frame));

        byte[] complete = (byte[])frame.Clone();
        Xunit.Assert.True(InternetChecksum.TryCompletePartial(complete, offload.ChecksumStart, offload.ChecksumOffset));
        Xunit.Assert.True(TcpChecksumIsValid(complete));

        Xunit.Assert.True(TcpSegmenter.TryParse(frame, offload, out TcpSuperFrame layout));
        byte[] output = new byte[segments.Sum(s => s.Length)];
        int[] lengths = new int[segments.Length];
        Xunit.Assert.Equal(segments.Length, TcpSegmenter.Segment(frame, layout, 0, output, 0, lengths));
        int position = 0;
        for (int i = 0; i < segments.Length; i++)
        {
            byte[] again = output.AsSpan(position, lengths[i]).ToArray();
            // The IPv4 identification of a re-cut segment counts from the first; the originals did too.
            Xunit.Assert.Equal(segments[i], again);
            position += lengths[i];
        }
    }
}

using System.Buffers.Binary;
using FsCheck.Xunit;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

public sealed class InternetChecksumTests
{
    [Property(MaxTest = 300)]
    public bool Compute_EqualsTheWordByWordChecksum(byte[] data, int skip)
    {
        // An offset exercises unaligned starts; lengths vary across the vector and scalar tails.
        int offset = data.Length == 0 ? 0 : Math.Abs(skip % data.Length);
        ReadOnlySpan<byte> span = data.AsSpan(offset);
        return InternetChecksum.Compute(span) == TcpFrames.SlowChecksum(span);
    }

    /// <summary>Each bulk loop on its own (the JIT here runs the 256-bit one; the Native AOT router
    /// runs the 128-bit one), over lengths across its block size and tails, at unaligned starts.</summary>
    [Property(MaxTest = 300)]
    public bool EveryBulkLoop_EqualsTheWordByWordChecksum(byte[] data, int skip)
    {
        int offset = data.Length == 0 ? 0 : Math.Abs(skip % data.Length);
        ReadOnlySpan<byte> span = data.AsSpan(offset);
        ushort expected = TcpFrames.SlowChecksum(span);
        bool vector256 = !System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ||
            InternetChecksum.FinishHostOrder(InternetChecksum.SumHostOrderVector256(span)) == expected;
        return vector256 &&
            InternetChecksum.FinishHostOrder(InternetChecksum.SumHostOrderVector128(span)) == expected &&
            InternetChecksum.FinishHostOrder(InternetChecksum.SumTail(span, 0, 0)) == expected;
    }

    [Fact]
    public void EveryBulkLoop_OnLongBuffersOfOnes_MatchesTheSlowChecksum()
    {
        foreach (int length in new[] { 15, 16, 17, 63, 64, 65, 79, 80, 127, 128, 1400, 1448, 65_535, 200_001 })
        {
            byte[] data = new byte[length];
            data.AsSpan().Fill(0xff);
            data[length / 2] = 0x12;
            ushort expected = TcpFrames.SlowChecksum(data);
            Assert.Equal(expected, InternetChecksum.FinishHostOrder(InternetChecksum.SumHostOrderVector128(data)));
            Assert.Equal(expected, InternetChecksum.FinishHostOrder(InternetChecksum.SumTail(data, 0, 0)));
            if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            {
                Assert.Equal(expected, InternetChecksum.FinishHostOrder(InternetChecksum.SumHostOrderVector256(data)));
            }
        }
    }

    [Fact]
    public void Compute_LongBuffersOfOnes_MatchesTheSlowChecksum()
    {
        foreach (int length in new[] { 31, 32, 63, 64, 65, 1500, 65_535, 200_001 })
        {
            byte[] data = new byte[length];
            data.AsSpan().Fill(0xff);
            data[length / 2] = 0x12;
            Assert.Equal(TcpFrames.SlowChecksum(data), InternetChecksum.Compute(data));
        }
    }

    [Fact]
    public void Combine_OfEvenPieces_EqualsTheWhole()
    {
        byte[] data = new byte[3001];
        new Random(5).NextBytes(data);
        uint pieces = InternetChecksum.Combine(InternetChecksum.Add(data.AsSpan(0, 1000)), InternetChecksum.Add(data.AsSpan(1000)));
        Assert.Equal(InternetChecksum.Compute(data), InternetChecksum.Finish(pieces));
        Assert.Equal(InternetChecksum.Compute(data), InternetChecksum.Finish(InternetChecksum.Add(data.AsSpan(1000), InternetChecksum.Add(data.AsSpan(0, 1000)))));
    }

    /// <summary>The example header of Wikipedia's "IPv4 header checksum" article: checksum 0xb861.</summary>
    [Fact]
    public void WriteIPv4HeaderChecksum_KnownHeader_GivesKnownChecksum()
    {
        byte[] header = Convert.FromHexString("450000730000400040110000c0a80001c0a800c7");
        InternetChecksum.WriteIPv4HeaderChecksum(header);
        Assert.Equal(0xb861, BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(10)));
        Assert.True(InternetChecksum.IsValidIPv4Header(header));
        header[8] = 63;
        Assert.False(InternetChecksum.IsValidIPv4Header(header));
        Assert.Throws<ArgumentException>(() => InternetChecksum.WriteIPv4HeaderChecksum(header.AsSpan(0, 19)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryCompletePartial_FromThePseudoHeaderSum_GivesAValidTcpChecksum(bool ipv6)
    {
        byte[] frame = TcpFrames.Build(ipv6, 1001, 99, TcpFrames.Ack);
        int tcpOffset = 14 + (ipv6 ? 40 : 20);
        int tcpLength = frame.Length - tcpOffset;
        // What the kernel leaves with CHECKSUM_PARTIAL: the folded, uncomplemented pseudo-header sum.
        uint pseudo = ipv6
            ? InternetChecksum.PseudoHeaderV6(TcpFrames.SourceV6, TcpFrames.DestinationV6, 6, (uint)tcpLength)
            : InternetChecksum.PseudoHeaderV4(TcpFrames.SourceV4, TcpFrames.DestinationV4, 6, tcpLength);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(tcpOffset + 16), (ushort)~InternetChecksum.Finish(pseudo));

        Assert.True(InternetChecksum.TryCompletePartial(frame, tcpOffset, 16));

        Assert.True(TcpFrames.TcpChecksumIsValid(
            ipv6 ? TcpFrames.SourceV6 : TcpFrames.SourceV4, ipv6 ? TcpFrames.DestinationV6 : TcpFrames.DestinationV4,
            frame.AsSpan(tcpOffset)));
    }

    [Fact]
    public void TryCompletePartial_FieldOutsideTheFrame_ReturnsFalse()
    {
        byte[] frame = new byte[60];
        Assert.False(InternetChecksum.TryCompletePartial(frame, 50, 9));
        Assert.False(InternetChecksum.TryCompletePartial(frame, -1, 0));
        Assert.True(InternetChecksum.TryCompletePartial(frame, 50, 8));
    }
}

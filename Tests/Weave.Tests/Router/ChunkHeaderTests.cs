using Weave.Linux;
using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

public sealed class ChunkHeaderTests
{
    private static byte[] Payload(ChunkHeader header, int pieceBytes)
    {
        byte[] payload = new byte[ChunkHeader.SizeBytes + pieceBytes];
        header.Write(payload);
        return payload;
    }

    [Fact]
    public void WriteTryRead_RoundTrips_BigEndian()
    {
        var header = new ChunkHeader(0x01020304, 60_000, 1418, VirtioNetHeader.GsoTcpV6 | VirtioNetHeader.GsoEcn, 1380);
        byte[] payload = Payload(header, 1418);

        Assert.Equal(new byte[] { 1, 2, 3, 4, 0, 0, 0xEA, 0x60, 0, 0, 0x05, 0x8A, 0x84, 0, 0x05, 0x64 }, payload[..ChunkHeader.SizeBytes]);
        Assert.True(ChunkHeader.TryRead(payload, out ChunkHeader read));
        Assert.Equal(header, read);
    }

    [Theory]
    [InlineData(0, 100, 0, VirtioNetHeader.GsoTcpV4, 1380, 0)]                              // no piece
    [InlineData(100, 100, 0, VirtioNetHeader.GsoTcpV4, 1380, 0)]                            // nothing but the header
    [InlineData(10, 0, 0, VirtioNetHeader.GsoTcpV4, 1380, 0)]                               // an empty frame
    [InlineData(10, ChunkHeader.MaxFrameBytes + 1, 0, VirtioNetHeader.GsoTcpV4, 1380, 0)]  // longer than a TAP read
    [InlineData(10, 100, 95, VirtioNetHeader.GsoTcpV4, 1380, 0)]                            // reaches past the frame's end
    [InlineData(10, 100, -1, VirtioNetHeader.GsoTcpV4, 1380, 0)]                            // a negative offset
    [InlineData(10, 100, 0, VirtioNetHeader.GsoUdpL4, 1380, 0)]                             // not TCP
    [InlineData(10, 100, 0, VirtioNetHeader.GsoNone, 1380, 0)]                              // no segmentation
    [InlineData(10, 100, 0, VirtioNetHeader.GsoTcpV4, 0, 0)]                                // gso_size 0
    [InlineData(10, 100, 0, VirtioNetHeader.GsoTcpV4, 1380, 7)]                             // the reserved byte set
    public void TryRead_RefusesWhatCannotBeAPiece(int pieceBytes, int frameLength, int offset, byte gsoType, ushort gsoSize, byte reserved)
    {
        byte[] payload = Payload(new ChunkHeader(9, frameLength, offset, gsoType, gsoSize), Math.Max(pieceBytes, 0));
        payload[13] = reserved;
        if (pieceBytes == 100)
        {
            payload = payload[..ChunkHeader.SizeBytes];
        }
        Assert.False(ChunkHeader.TryRead(payload, out _));
    }

    [Fact]
    public void TryRead_ShortPayload_IsRefused()
    {
        Assert.False(ChunkHeader.TryRead(new byte[ChunkHeader.SizeBytes - 1], out _));
    }
}

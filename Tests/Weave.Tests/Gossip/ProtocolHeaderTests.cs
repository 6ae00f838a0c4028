using FsCheck.Xunit;
using Weave.Gossip.Protocol;
using Xunit;

namespace Weave.Tests.Gossip;

public sealed class ProtocolHeaderTests
{
    [Fact]
    public void Write_Ours_IsMagicAndVersions3To3()
    {
        byte[] bytes = new byte[WireFormat.HeaderSizeBytes];
        ProtocolHeader.Ours.Write(bytes);
        Assert.Equal(new byte[] { (byte)'w', (byte)'e', (byte)'a', (byte)'v', (byte)'e', 3, 3 }, bytes);
    }

    [Fact]
    public void TryParse_OwnEncoding_RoundTrips()
    {
        byte[] bytes = new byte[WireFormat.HeaderSizeBytes];
        new ProtocolHeader(2, 9).Write(bytes);
        Assert.True(ProtocolHeader.TryParse(bytes, out ProtocolHeader header, out string error));
        Assert.Equal(new ProtocolHeader(2, 9), header);
        Assert.Equal("", error);
    }

    [Fact]
    public void TryParse_BadMagic_FailsAsNotAWeavePeer()
    {
        byte[] bytes = "GET / H"u8.ToArray();
        Assert.False(ProtocolHeader.TryParse(bytes, out _, out string error));
        Assert.Contains("not a weave peer", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(6)]
    public void TryParse_ShortInput_Fails(int length)
    {
        byte[] full = new byte[WireFormat.HeaderSizeBytes];
        ProtocolHeader.Ours.Write(full);
        Assert.False(ProtocolHeader.TryParse(full.AsSpan(0, length), out _, out string error));
        Assert.Contains("too short", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_InvertedRange_Fails()
    {
        byte[] bytes = [.. "weave"u8, 4, 3];
        Assert.False(ProtocolHeader.TryParse(bytes, out _, out string error));
        Assert.Contains("4..3", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 2, 3, 3, false, 0)]   // Weave Net 2.x against us
    [InlineData(3, 3, 5, 6, false, 0)]
    [InlineData(3, 3, 3, 3, true, 3)]
    [InlineData(1, 5, 3, 4, true, 4)]
    [InlineData(1, 5, 4, 9, true, 5)]
    [InlineData(2, 2, 1, 7, true, 2)]
    public void TryNegotiate_Ranges_PickHighestCommonVersion(byte min1, byte max1, byte min2, byte max2, bool ok, byte expected)
    {
        bool result = new ProtocolHeader(min1, max1).TryNegotiate(new ProtocolHeader(min2, max2), out byte version);
        Assert.Equal(ok, result);
        if (ok)
        {
            Assert.Equal(expected, version);
        }
    }

    [Property]
    public bool TryNegotiate_AgreedVersionIsHighestInBothRanges(byte a1, byte a2, byte b1, byte b2)
    {
        var ours = new ProtocolHeader(Math.Min(a1, a2), Math.Max(a1, a2));
        var theirs = new ProtocolHeader(Math.Min(b1, b2), Math.Max(b1, b2));
        bool overlap = ours.MinVersion <= theirs.MaxVersion && theirs.MinVersion <= ours.MaxVersion;
        if (!ours.TryNegotiate(theirs, out byte version))
        {
            return !overlap;
        }
        bool inBoth = version >= ours.MinVersion && version <= ours.MaxVersion &&
                      version >= theirs.MinVersion && version <= theirs.MaxVersion;
        bool highest = version == ours.MaxVersion || version == theirs.MaxVersion;
        return overlap && inBoth && highest;
    }

    [Property]
    public bool TryNegotiate_IsSymmetric(byte a1, byte a2, byte b1, byte b2)
    {
        var ours = new ProtocolHeader(Math.Min(a1, a2), Math.Max(a1, a2));
        var theirs = new ProtocolHeader(Math.Min(b1, b2), Math.Max(b1, b2));
        bool forward = ours.TryNegotiate(theirs, out byte v1);
        bool backward = theirs.TryNegotiate(ours, out byte v2);
        return forward == backward && (!forward || v1 == v2);
    }
}

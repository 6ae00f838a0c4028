using FsCheck.Xunit;
using Weave.Gossip;
using Xunit;

namespace Weave.Tests.Gossip;

public sealed class PeerNameTests
{
    private const ulong Mask48 = (1UL << 48) - 1;

    /// <summary>Any name a peer may have: unicast (multicast bit clear) and not zero.</summary>
    private static PeerName Usable(ulong raw) => new(((raw & Mask48) & ~(1UL << 40)) | 1);

    [Property]
    public bool ParseFormat_RoundTrips(ulong raw)
    {
        PeerName name = Usable(raw);
        return PeerName.TryParse(name.ToString(), out PeerName parsed) && parsed == name;
    }

    [Property]
    public bool TryParse_MulticastBitSet_RefusedSayingWhy(ulong raw)
    {
        var name = new PeerName((raw & Mask48) | (1UL << 40));
        return !PeerName.TryParse(name.ToString(), out PeerName parsed, out string error) && parsed == default && error.Length > 0;
    }

    [Property]
    public bool FromBytesWriteBytes_RoundTrips(ulong raw)
    {
        var name = new PeerName(raw & Mask48);
        byte[] bytes = new byte[PeerName.SizeBytes];
        name.WriteBytes(bytes);
        return PeerName.FromBytes(bytes) == name;
    }

    [Fact]
    public void ToString_KnownValue_IsLowerCaseColonSeparated()
    {
        Assert.Equal("5e:1a:00:0b:cd:ef", new PeerName(0x5e1a000bcdef).ToString());
        Assert.Equal("00:00:00:00:00:01", new PeerName(1).ToString());
    }

    [Fact]
    public void WriteBytes_KnownValue_IsBigEndian()
    {
        byte[] bytes = new byte[PeerName.SizeBytes];
        new PeerName(0x0102030405ff).WriteBytes(bytes);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 0xff }, bytes);
    }

    [Theory]
    [InlineData("5e:1a:00:00:00:01", 0x5e1a00000001UL)]
    [InlineData("5E:1A:0:0:0:1", 0x5e1a00000001UL)]
    [InlineData("fe:ff:ff:ff:ff:ff", 0xfeffffffffffUL)]
    [InlineData("0:0:0:0:0:1", 1UL)]
    public void TryParse_ValidText_GivesValue(string text, ulong expected)
    {
        Assert.True(PeerName.TryParse(text, out PeerName name));
        Assert.Equal(expected, name.Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("5e:1a:00:00:00")]             // too few groups
    [InlineData("5e:1a:00:00:00:01:02")]       // too many groups
    [InlineData("5e:1a:00:00:00:001")]         // 3-digit group
    [InlineData("5e:1a:00:00:0:001")]          // 3-digit group within 17 characters
    [InlineData("5e:1a:00:00:00:0g")]          // not hex
    [InlineData("5e:1a:00:00:00:-1")]          // sign
    [InlineData("5e:1a:00:00:00: 1")]          // space
    [InlineData("5e:1a:00::00:01")]            // empty group
    [InlineData("5e-1a-00-00-00-01")]          // wrong separator
    [InlineData(":::::")]
    [InlineData("5e:1a:00:00:00:01:")]
    public void TryParse_MalformedText_ReturnsFalse(string? text)
    {
        Assert.False(PeerName.TryParse(text, out PeerName name));
        Assert.Equal(default, name);
        Assert.False(PeerName.TryParse(text, out _, out string error));
        Assert.Equal(PeerName.MalformedError, error);
    }

    [Theory]
    [InlineData("00:00:00:00:00:00", "zero name")]
    [InlineData("0:0:0:0:0:0", "zero name")]
    [InlineData("ff:ff:ff:ff:ff:ff", "broadcast")]
    [InlineData("01:00:5e:00:00:01", "multicast")]
    [InlineData("33:33:00:00:00:01", "multicast")]
    public void TryParse_NameNoPeerMayHave_RefusedSayingWhich(string text, string expected)
    {
        Assert.False(PeerName.TryParse(text, out PeerName name, out string error));
        Assert.Equal(default, name);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.False(PeerName.TryParse(text, out _));
    }

    [Fact]
    public void Random_AnySeed_SetsLocallyAdministeredAndClearsMulticastBit()
    {
        for (int seed = 0; seed < 1000; seed++)
        {
            byte[] bytes = new byte[PeerName.SizeBytes];
            PeerName.Random(new Random(seed)).WriteBytes(bytes);
            Assert.Equal(0x02, bytes[0] & 0x02);
            Assert.Equal(0x00, bytes[0] & 0x01);
        }
    }

    [Fact]
    public void Random_SameSeed_GivesSameName()
    {
        Assert.Equal(PeerName.Random(new Random(42)), PeerName.Random(new Random(42)));
        Assert.NotEqual(PeerName.Random(new Random(42)), PeerName.Random(new Random(43)));
    }

    [Fact]
    public void Constructor_MoreThan48Bits_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerName(1UL << 48));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(0)]
    public void FromBytes_WrongLength_Throws(int length)
    {
        Assert.Throws<ArgumentException>(() => PeerName.FromBytes(new byte[length]));
    }

    [Fact]
    public void CompareTo_OrdersByValue()
    {
        var low = new PeerName(1);
        var high = new PeerName(0x010000000000);
        Assert.True(low < high);
        Assert.True(high > low);
        var same = new PeerName(1);
        Assert.True(low <= same && low >= same);
        Assert.True(low.CompareTo(high) < 0);
    }
}

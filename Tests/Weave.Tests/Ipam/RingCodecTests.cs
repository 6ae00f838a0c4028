using System.Buffers;
using MessagePack;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Rings;
using Weave.Ipam.Wire;
using Xunit;

namespace Weave.Tests.Ipam;

public sealed class RingCodecTests
{
    private static byte[] Encode(Ring ring)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        RingCodec.Write(ref writer, ring);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static bool TryDecode(byte[] bytes, out Ring? ring, out string error)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            return RingCodec.TryRead(ref reader, out ring, out error);
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            ring = null;
            error = e.Message;
            return false;
        }
    }

    [Fact]
    public void Encode_SeededRing_MatchesGoldenBytes()
    {
        Ring ring = Ring.Seeded(Cidr.Parse("10.0.0.0/24"), [new PeerName(0x0A), new PeerName(0x0B)]);
        // [start 0x0A000000, 24, [0x0A, 0x0B], [[0x0A000000, 0x0A, 0, 128], [0x0A000080, 0x0B, 0, 128]]]
        Assert.Equal(
            "94CE0A0000001892" + "0A0B" + "92" + "94CE0A0000000A00CC80" + "94CE0A0000800B00CC80",
            Convert.ToHexString(Encode(ring)));
    }

    [Fact]
    public void RoundTrip_KeepsEveryField()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            Ring ring = RingArbitraries.Build(seed);
            Assert.True(TryDecode(Encode(ring), out Ring? back, out string error), error);
            Assert.Equal(ring, back);
        }
        Assert.True(TryDecode(Encode(Ring.Empty(RingArbitraries.Range)), out Ring? empty, out _));
        Assert.True(empty!.IsEmpty);
    }

    [Fact]
    public void TryRead_EveryTruncation_IsRefused()
    {
        byte[] bytes = Encode(RingArbitraries.Build(3));
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.False(TryDecode(bytes[..length], out _, out _));
        }
    }

    private static byte[] Raw(uint start, int prefix, params (uint Token, ulong Owner)[] entries)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(start);
        writer.Write(prefix);
        writer.WriteArrayHeader(1);
        writer.Write(0x0AUL);
        writer.WriteArrayHeader(entries.Length);
        foreach ((uint token, ulong owner) in entries)
        {
            writer.WriteArrayHeader(4);
            writer.Write(token);
            writer.Write(owner);
            writer.Write(0u);
            writer.Write(0u);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void TryRead_UnsortedOrOutOfRangeTokens_AreRefusedWithAReason()
    {
        Assert.True(TryDecode(Raw(0x0A000000, 24, (0x0A000000, 0x0A), (0x0A000080, 0x0B)), out _, out string ok), ok);
        Assert.False(TryDecode(Raw(0x0A000000, 24, (0x0A000080, 0x0A), (0x0A000000, 0x0B)), out _, out string e1));
        Assert.Contains("not sorted", e1, StringComparison.Ordinal);
        Assert.False(TryDecode(Raw(0x0A000000, 24, (0x0A000000, 0x0A), (0x0A000100, 0x0B)), out _, out string e2));
        Assert.Contains("outside the range", e2, StringComparison.Ordinal);
        Assert.False(TryDecode(Raw(0x0A000001, 24, (0x0A000001, 0x0A)), out _, out string e3));
        Assert.Contains("aligned", e3, StringComparison.Ordinal);
        Assert.False(TryDecode(Raw(0x0A000000, 24, (0x0A000000, 0)), out _, out string e4));
        Assert.Contains("no owner", e4, StringComparison.Ordinal);
        Assert.False(TryDecode(Raw(0x0A000000, 24, (0x0A000000, 1UL << 50)), out _, out string e5));
        Assert.Contains("48-bit", e5, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_Messages_RoundTrip_AndGarbageIsRefused()
    {
        Ring ring = RingArbitraries.Build(5);
        var nick = new Dictionary<PeerName, string> { [RingTests.P(1)] = "host1" };
        IpamMessage[] messages =
        [
            new RingMessage(ring, nick),
            new SpaceRequestMessage(7, false, Cidr.Parse("10.1.0.0/28")),
            new SpaceRequestMessage(8, true, Cidr.Parse("10.1.0.5/32")),
            new SpaceGrantMessage(9, ring),
            new SpaceDeniedMessage(10, "no"),
        ];
        foreach (IpamMessage m in messages)
        {
            byte[] bytes = IpamWire.Encode(m);
            Assert.True(IpamWire.TryDecode(bytes, out IpamMessage? back, out string error), error);
            Assert.Equal(bytes, IpamWire.Encode(back));
            for (int length = 0; length < bytes.Length; length++)
            {
                Assert.False(IpamWire.TryDecode(bytes.AsMemory(0, length), out _, out _));
            }
            Assert.False(IpamWire.TryDecode(bytes.Append((byte)0xC0).ToArray(), out _, out string trailing));
            Assert.Contains("trailing", trailing, StringComparison.Ordinal);
        }
        var random = new Random(1);
        for (int i = 0; i < 2000; i++)
        {
            byte[] junk = new byte[random.Next(0, 64)];
            random.NextBytes(junk);
            IpamWire.TryDecode(junk, out _, out _);
        }
        Assert.False(IpamWire.TryDecode(new byte[] { 3, 0x94, 1, 0xC2, 0xCE, 10, 1, 0, 5, 28 }, out _, out string unaligned));
        Assert.Contains("aligned", unaligned, StringComparison.Ordinal);
    }
}

using Weave.Gossip;
using Weave.Router.DataPlane;
using Weave.Tests.Gossip.Routing;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>The kernel path's probe: its layout, and what of untrusted bytes it refuses.</summary>
public sealed class ProbeFrameTests
{
    [Fact]
    public void Write_LaysOutMacsEtherTypeBodyAndUid_PaddedToTheMinimumFrame()
    {
        byte[] frame = new byte[ProbeFrame.SizeBytes];
        frame.AsSpan().Fill(0xEE);
        PeerName a = TopologyBuilder.Name(1), b = TopologyBuilder.Name(2);

        ProbeFrame.Write(frame, 0x0211_2233_4455, 0x0266_7788_99AA, a, b, HeartbeatBody.HeardVxlan, 0x0102_0304_0506_0708);

        Assert.Equal("021122334455" + "0266778899AA" + "88B5", Convert.ToHexString(frame, 0, 14));
        Assert.Equal("0102030405060708", Convert.ToHexString(frame, 27, 8));
        Assert.All(frame[35..], x => Assert.Equal(0, x));
        Assert.True(ProbeFrame.TryRead(frame, out ReadOnlySpan<byte> body, out ulong uid));
        Assert.Equal(0x0102_0304_0506_0708UL, uid);
        Assert.True(HeartbeatBody.TryRead(body, out PeerName from, out PeerName to, out byte flags));
        Assert.Equal((a, b, HeartbeatBody.HeardVxlan), (from, to, flags));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(14)]
    [InlineData(34)]
    public void TryRead_TooShort_IsRefused(int length)
    {
        byte[] frame = new byte[ProbeFrame.SizeBytes];
        ProbeFrame.Write(frame, 1, 2, TopologyBuilder.Name(1), TopologyBuilder.Name(2), 0, 3);
        Assert.False(ProbeFrame.TryRead(frame.AsSpan(0, length), out _, out _));
    }

    [Fact]
    public void TryRead_AnotherEtherType_IsRefused()
    {
        byte[] frame = new byte[ProbeFrame.SizeBytes];
        ProbeFrame.Write(frame, 1, 2, TopologyBuilder.Name(1), TopologyBuilder.Name(2), 0, 3);
        frame[13] = 0xB6;
        Assert.False(ProbeFrame.TryRead(frame, out _, out _));
    }

    [Fact]
    public void TryRead_RandomBytes_NeverThrows()
    {
        var random = new Random(23);
        byte[] buffer = new byte[80];
        for (int i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            if (i % 2 == 0)
            {
                buffer[12] = 0x88;
                buffer[13] = 0xB5;
            }
            _ = ProbeFrame.TryRead(buffer.AsSpan(0, random.Next(buffer.Length + 1)), out _, out _);
        }
    }
}

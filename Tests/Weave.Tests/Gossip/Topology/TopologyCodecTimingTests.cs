using Weave.Gossip.Topology;
using Xunit;
using Xunit.Abstractions;
using static Weave.Tests.Gossip.Topology.TopologyArbitraries;

namespace Weave.Tests.Gossip.Topology;

[Collection(TimingGroup.Name)]
public sealed class TopologyCodecTimingTests(ITestOutputHelper output)
{
    [Fact]
    public void EncodeTryDecodeRecords_ThousandRecordsOfTwoHundredConnections_WellUnder100Ms()
    {
        PeerRecord[] records = [.. Enumerable.Range(0, 1000).Select(i => new PeerRecord(
            Name(i), $"host-{i}", (ulong)i + 1, 42,
            [.. Enumerable.Range(1, 200).Select(k => new ConnectionSummary(Name((i + k) % 1000), $"10.{k}.{i % 256}.1:6783", k % 2 == 0, true))]))];
        byte[] body = TopologyCodec.EncodeRecords(records);
        Assert.True(TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? decoded, out string error), error);
        Assert.Equal(records, decoded);

        TimeSpan encode = TimingGroup.BestCpuTime(8, () => TopologyCodec.EncodeRecords(records));
        TimeSpan decode = TimingGroup.BestCpuTime(8, () => TopologyCodec.TryDecodeRecords(body, out _, out _));

        output.WriteLine($"{body.Length} bytes; CPU time, best of 8: encode {encode.TotalMilliseconds:F1} ms, decode {decode.TotalMilliseconds:F1} ms");
        Assert.True(encode < TimeSpan.FromMilliseconds(100), $"encode {encode.TotalMilliseconds} ms");
        Assert.True(decode < TimeSpan.FromMilliseconds(100), $"decode {decode.TotalMilliseconds} ms");
    }
}

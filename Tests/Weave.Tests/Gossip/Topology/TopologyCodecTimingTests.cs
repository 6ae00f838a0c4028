using System.Diagnostics;
using Weave.Gossip.Topology;
using Xunit;
using static Weave.Tests.Gossip.Topology.TopologyArbitraries;

namespace Weave.Tests.Gossip.Topology;

[Collection(TimingGroup.Name)]
public sealed class TopologyCodecTimingTests
{
    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [Fact]
    public void EncodeTryDecodeRecords_ThousandRecordsOfTwoHundredConnections_WellUnder100Ms()
    {
        PeerRecord[] records = [.. Enumerable.Range(0, 1000).Select(i => new PeerRecord(
            Name(i), $"host-{i}", (ulong)i + 1, 42,
            [.. Enumerable.Range(1, 200).Select(k => new ConnectionSummary(Name((i + k) % 1000), $"10.{k}.{i % 256}.1:6783", k % 2 == 0, true))]))];
        // Best of a few runs: the first ones measure the JIT, and this box may be busy.
        TimeSpan encode = TimeSpan.MaxValue, decode = TimeSpan.MaxValue;
        for (int run = 0; run < 4; run++)
        {
            var clock = Stopwatch.StartNew();
            byte[] body = TopologyCodec.EncodeRecords(records);
            TimeSpan encoded = clock.Elapsed;
            Assert.True(TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? decoded, out string error), error);
            decode = Min(decode, clock.Elapsed - encoded);
            encode = Min(encode, encoded);
            if (run == 0)
            {
                Assert.Equal(records, decoded);
            }
        }
        Assert.True(encode < TimeSpan.FromMilliseconds(100), $"encode {encode.TotalMilliseconds} ms");
        Assert.True(decode < TimeSpan.FromMilliseconds(100), $"decode {decode.TotalMilliseconds} ms");
    }
}

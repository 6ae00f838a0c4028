using System.Buffers;
using FsCheck.Xunit;
using MessagePack;
using Weave.Gossip;
using Weave.Gossip.Topology;
using Xunit;
using static Weave.Tests.Gossip.Topology.TopologyArbitraries;

namespace Weave.Tests.Gossip.Topology;

public sealed class TopologyCodecTests
{
    private static readonly PeerName s_a = new(0x0a0b0c0d0e0f);
    private static readonly PeerName s_b = new(0x0a0b0c0d0e10);

    private static readonly PeerRecord s_sample =
        new(s_a, "a", uid: 7, version: 2, [new ConnectionSummary(s_b, "10.0.0.2:6783", Outbound: true, Established: true)]);

    // A record field by field, without the encoder's checks, to build invalid input.
    private sealed record RawConnection(ulong Remote, string? Address = "10.0.0.9:6783", ulong Flags = 3);

    /// <param name="Extra">Fields after the connections (the cluster's name and range, then future ones), each a string or nil.</param>
    private sealed record RawRecord(ulong Name, string? NickName = "n", ulong Uid = 1, ulong Version = 1, RawConnection[]? Connections = null,
        string?[]? Extra = null);

    private static byte[] Raw(params RawRecord[] records)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(records.Length);
        foreach (RawRecord r in records)
        {
            string?[] extra = r.Extra ?? [];
            writer.WriteArrayHeader(5 + extra.Length);
            writer.Write(r.Name);
            writer.Write(r.NickName);
            writer.Write(r.Uid);
            writer.Write(r.Version);
            RawConnection[] connections = r.Connections ?? [];
            writer.WriteArrayHeader(connections.Length);
            foreach (RawConnection c in connections)
            {
                writer.WriteArrayHeader(3);
                writer.Write(c.Remote);
                writer.Write(c.Address);
                writer.Write(c.Flags);
            }
            foreach (string? field in extra)
            {
                writer.Write(field);
            }
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static string RecordsError(byte[] body)
    {
        Assert.False(TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? records, out string error));
        Assert.Null(records);
        Assert.NotEqual("", error);
        return error;
    }

    // ---- golden bytes (the wire format is stable: change these only with a protocol version) ----

    [Fact]
    public void EncodeRecords_Sample_GoldenBytes()
    {
        Assert.Equal(
            "91" + "95" + "CF00000A0B0C0D0E0F" + "A161" + "07" + "02" +
            "91" + "93" + "CF00000A0B0C0D0E10" + "AD31302E302E302E323A36373833" + "03",
            Convert.ToHexString(TopologyCodec.EncodeRecords([s_sample])));
    }

    [Fact]
    public void EncodeDigest_Sample_GoldenBytes()
    {
        Assert.Equal("91" + "93" + "CF00000A0B0C0D0E0F" + "07" + "02",
            Convert.ToHexString(TopologyCodec.EncodeDigest([new DigestEntry(s_a, Uid: 7, Version: 2)])));
    }

    [Fact]
    public void EncodeNames_Sample_GoldenBytes()
    {
        Assert.Equal("92" + "CF00000A0B0C0D0E0F" + "CF00000A0B0C0D0E10", Convert.ToHexString(TopologyCodec.EncodeNames([s_a, s_b])));
    }

    [Fact]
    public void TryDecodeRecords_GoldenBytes_DecodesSample()
    {
        byte[] golden = Convert.FromHexString("91" + "95" + "CF00000A0B0C0D0E0F" + "A161" + "07" + "02" +
            "91" + "93" + "CF00000A0B0C0D0E10" + "AD31302E302E302E323A36373833" + "03");
        Assert.True(TopologyCodec.TryDecodeRecords(golden, out IReadOnlyList<PeerRecord>? records, out string error), error);
        Assert.Equal([s_sample], records);
    }

    private static readonly ClusterIdentity s_clusterA = Cluster("a", "10.32.0.0/12");

    private static string Hex(string text) => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(text));

    [Fact]
    public void EncodeRecords_WithCluster_GoldenBytes_TwoFieldsAppended()
    {
        PeerRecord record = new(s_a, "a", 7, 2, s_sample.Connections, s_clusterA);
        Assert.Equal(
            "91" + "97" + "CF00000A0B0C0D0E0F" + "A161" + "07" + "02" +
            "91" + "93" + "CF00000A0B0C0D0E10" + "AD31302E302E302E323A36373833" + "03" +
            "A161" + "AC" + Hex("10.32.0.0/12"),
            Convert.ToHexString(TopologyCodec.EncodeRecords([record])));
    }

    [Fact]
    public void EncodeRecords_ClusterWithoutRange_RangeIsNil()
    {
        PeerRecord record = new(s_a, "a", 7, 2, [], Cluster("a", null));
        Assert.Equal("91" + "97" + "CF00000A0B0C0D0E0F" + "A161" + "07" + "02" + "90" + "A161" + "C0",
            Convert.ToHexString(TopologyCodec.EncodeRecords([record])));
        Assert.True(TopologyCodec.TryDecodeRecords(TopologyCodec.EncodeRecords([record]), out IReadOnlyList<PeerRecord>? records, out string error), error);
        Assert.Equal([record], records);
    }

    [Fact]
    public void TryDecodeRecords_OldRecordWithoutClusterFields_HasNoCluster()
    {
        Assert.True(TopologyCodec.TryDecodeRecords(Raw(new RawRecord(5)), out IReadOnlyList<PeerRecord>? records, out string error), error);
        Assert.Null(Assert.Single(records).Cluster);
    }

    [Theory]
    [InlineData(null, null, null, null)]
    [InlineData("b", null, "b", null)]
    [InlineData("b", "fd00::/64", "b", "fd00::/64")]
    public void TryDecodeRecords_ClusterFieldsNilOrAbsent_Decode(string? name, string? range, string? expectedName, string? expectedRange)
    {
        foreach (string?[] extra in range is null ? new[] { new[] { name }, [name, null] } : [[name, range]])
        {
            Assert.True(TopologyCodec.TryDecodeRecords(Raw(new RawRecord(5, Extra: extra)), out IReadOnlyList<PeerRecord>? records, out string error), error);
            PeerRecord record = Assert.Single(records);
            Assert.Equal(expectedName, record.Cluster?.Name);
            Assert.Equal(expectedRange, record.Cluster?.Range?.ToString());
        }
    }

    [Fact]
    public void TryDecodeRecords_FutureFieldsAfterTheCluster_AreSkipped()
    {
        byte[] body = Raw(new RawRecord(5, Extra: ["a", "10.32.0.0/12", "future", null]));
        Assert.True(TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? records, out string error), error);
        Assert.Equal(s_clusterA, Assert.Single(records).Cluster);
    }

    [Fact]
    public void TryDecodeRecords_RecordsOfOneCluster_ShareOneClusterObject()
    {
        byte[] body = Raw(new RawRecord(5, Extra: ["a", "10.32.0.0/12"]), new RawRecord(6, Extra: ["a", "10.32.0.0/12"]));
        Assert.True(TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? records, out string error), error);
        Assert.Same(records[0].Cluster, records[1].Cluster);
    }

    // ---- round trips ----

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool EncodeTryDecodeRecords_RoundTrips(RecordSet set) =>
        TopologyCodec.TryDecodeRecords(TopologyCodec.EncodeRecords(set.Records), out IReadOnlyList<PeerRecord>? decoded, out _) &&
        decoded.SequenceEqual(set.Records);

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool EncodeTryDecodeDigest_RoundTrips(RecordSet set)
    {
        var topology = new PeerTopology();
        topology.Merge(set.Records);
        IReadOnlyList<DigestEntry> digest = topology.Digest();
        return TopologyCodec.TryDecodeDigest(TopologyCodec.EncodeDigest(digest), out IReadOnlyList<DigestEntry>? decoded, out _) &&
            decoded.SequenceEqual(digest);
    }

    [Property]
    public bool EncodeTryDecodeNames_RoundTrips(ulong[] values)
    {
        PeerName[] names = [.. values.Select(v => new PeerName(v & 0xFFFF_FFFF_FFFF)).Distinct()];
        return TopologyCodec.TryDecodeNames(TopologyCodec.EncodeNames(names), out IReadOnlyList<PeerName>? decoded, out _) &&
            decoded.SequenceEqual(names);
    }

    // ---- untrusted input never throws ----

    private static bool DecodesWithoutThrowing(byte[] body)
    {
        bool ok = TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? records, out string recordsError);
        bool okDigest = TopologyCodec.TryDecodeDigest(body, out IReadOnlyList<DigestEntry>? digest, out string digestError);
        bool okNames = TopologyCodec.TryDecodeNames(body, out IReadOnlyList<PeerName>? names, out string namesError);
        return (ok ? records is not null && recordsError == "" : records is null && recordsError != "") &&
            (okDigest ? digest is not null : digest is null && digestError != "") &&
            (okNames ? names is not null : names is null && namesError != "");
    }

    [Property]
    public bool TryDecode_NeverThrows(byte[] body) => DecodesWithoutThrowing(body);

    [Property(Arbitrary = [typeof(TopologyArbitraries)])]
    public bool TryDecode_NeverThrows_OnMutatedEncodings(RecordSet set, int seed)
    {
        var random = new Random(seed);
        var topology = new PeerTopology();
        topology.Merge(set.Records);
        foreach (byte[] valid in new[] { TopologyCodec.EncodeRecords(set.Records), TopologyCodec.EncodeDigest(topology.Digest()), TopologyCodec.EncodeNames([.. topology.Digest().Select(e => e.Name)]) })
        {
            for (int round = 0; round < 8; round++)
            {
                byte[] body = (byte[])valid.Clone();
                switch (random.Next(3))
                {
                    case 0:
                        for (int flips = random.Next(1, 4); flips > 0; flips--)
                        {
                            body[random.Next(body.Length)] = (byte)random.Next(256);
                        }
                        break;
                    case 1:
                        body = body[..random.Next(body.Length)];
                        break;
                    default:
                        int at = random.Next(body.Length + 1);
                        body = [.. body[..at], (byte)random.Next(256), .. body[at..]];
                        break;
                }
                if (!DecodesWithoutThrowing(body))
                {
                    return false;
                }
            }
        }
        return true;
    }

    // ---- invariants: the whole message is rejected and the peer named ----

    public static TheoryData<string, string> InvalidRecords() => new()
    {
        { "version 0", Convert.ToHexString(Raw(new RawRecord(5, Version: 0))) },
        { "UID 0", Convert.ToHexString(Raw(new RawRecord(5, Uid: 0))) },
        { "nickname", Convert.ToHexString(Raw(new RawRecord(5, NickName: new string('x', 256)))) },
        { "nickname", Convert.ToHexString(Raw(new RawRecord(5, NickName: null))) },
        { "address", Convert.ToHexString(Raw(new RawRecord(5, Connections: [new RawConnection(6, new string('1', 65))]))) },
        { "address", Convert.ToHexString(Raw(new RawRecord(5, Connections: [new RawConnection(6, null)]))) },
        { "connection to itself", Convert.ToHexString(Raw(new RawRecord(5, Connections: [new RawConnection(5)]))) },
        { "two connections to", Convert.ToHexString(Raw(new RawRecord(5, Connections: [new RawConnection(6), new RawConnection(7), new RawConnection(6)]))) },
        { "48 bits", Convert.ToHexString(Raw(new RawRecord(5, Connections: [new RawConnection(1UL << 48)]))) },
        { "cluster name 'Upper'", Convert.ToHexString(Raw(new RawRecord(5, Extra: ["Upper", "10.32.0.0/12"]))) },
        { "cluster name '-a'", Convert.ToHexString(Raw(new RawRecord(5, Extra: ["-a"]))) },
        { "1 to 63 characters, not 0", Convert.ToHexString(Raw(new RawRecord(5, Extra: [""]))) },
        { "cluster name longer than 63", Convert.ToHexString(Raw(new RawRecord(5, Extra: [new string('a', 64)]))) },
        { "cluster range '10.32.0.1/12'", Convert.ToHexString(Raw(new RawRecord(5, Extra: ["a", "10.32.0.1/12"]))) },
        { "cluster range '10.32.0.0'", Convert.ToHexString(Raw(new RawRecord(5, Extra: ["a", "10.32.0.0"]))) },
        { "cluster range longer than 64", Convert.ToHexString(Raw(new RawRecord(5, Extra: ["a", new string('1', 65)]))) },
        { "cluster range without a cluster name", Convert.ToHexString(Raw(new RawRecord(5, Extra: [null, "10.32.0.0/12"]))) },
    };

    [Theory]
    [MemberData(nameof(InvalidRecords))]
    public void TryDecodeRecords_InvalidRecord_RejectsNamingThePeer(string reason, string hex)
    {
        byte[] body = Convert.FromHexString(hex);
        // A valid record first: the whole message goes, not just the bad record.
        byte[] withValid = [0x92, .. TopologyCodec.EncodeRecords([s_sample]).AsSpan(1), .. body.AsSpan(1)];
        foreach (byte[] message in new[] { body, withValid })
        {
            string error = RecordsError(message);
            Assert.Contains(reason, error, StringComparison.Ordinal);
            Assert.Contains(new PeerName(5).ToString(), error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TryDecodeRecords_NameBeyond48Bits_Rejected()
    {
        Assert.Contains("48 bits", RecordsError(Raw(new RawRecord(ulong.MaxValue))), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecodeRecords_MoreThanMaxRecords_RejectedBeforeReadingThem()
    {
        // array32 header, then one nil per claimed element (so the count is plausible for the length).
        byte[] body = [0xDD, 0x00, 0x01, 0x86, 0xA1, .. Enumerable.Repeat((byte)0xC0, TopologyCodec.MaxRecords + 1)];
        Assert.Contains("more than 100000", RecordsError(body), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecodeRecords_MoreThanMaxConnections_Rejected()
    {
        byte[] head = Raw(new RawRecord(5));
        byte[] body = [.. head[..^1], 0xDC, 0x27, 0x11, .. Enumerable.Repeat((byte)0xC0, TopologyCodec.MaxConnectionsPerRecord + 1)];
        Assert.Contains("10001 connections", RecordsError(body), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecodeRecords_CountBeyondTheBytes_Rejected()
    {
        Assert.Contains("malformed", RecordsError([0xDD, 0x00, 0x01, 0x00, 0x00]), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecodeRecords_TrailingBytes_Rejected()
    {
        Assert.Contains("trailing", RecordsError([.. TopologyCodec.EncodeRecords([s_sample]), 0xC0]), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecodeRecords_AppendedFutureFields_AreSkipped()
    {
        byte[] golden = TopologyCodec.EncodeRecords([s_sample]);
        // Record gets an 8th field (a map holding an array) after its nil cluster fields, the connection a 4th (a string).
        byte[] body = [0x91, 0x98, .. golden.AsSpan(2, golden.Length - 3), 0x03, 0xA2, 0x68, 0x69, 0xC0, 0xC0, 0x81, 0x01, 0x92, 0xC0, 0xC3];
        int connection = Array.IndexOf(body, (byte)0x93);
        Assert.Equal(16, connection);
        body[connection] = 0x94; // the connection's array header: 3 → 4 fields
        Assert.True(TopologyCodec.TryDecodeRecords(body, out IReadOnlyList<PeerRecord>? records, out string error), error);
        Assert.Equal([s_sample], records);
    }

    [Fact]
    public void TryDecodeRecords_DeeplyNestedFutureField_RejectedWithoutCrashing()
    {
        byte[] golden = TopologyCodec.EncodeRecords([s_sample]);
        byte[] body = [0x91, 0x96, .. golden.AsSpan(2), .. Enumerable.Repeat((byte)0x91, 100_000), 0xC0];
        Assert.Contains("malformed", RecordsError(body), StringComparison.Ordinal);
    }

    [Fact]
    public void EncodeRecords_InvalidRecord_Throws()
    {
        Assert.Throws<ArgumentException>(() => TopologyCodec.EncodeRecords([new PeerRecord(s_a, "a", 0, 1, [])]));
    }

    [Fact]
    public void TryDecodeDigest_UnsortedOrDuplicate_Rejected()
    {
        foreach (DigestEntry[] digest in new[]
        {
            new[] { new DigestEntry(s_b, 1, 1), new DigestEntry(s_a, 1, 1) },
            new[] { new DigestEntry(s_a, 1, 1), new DigestEntry(s_a, 1, 2) },
        })
        {
            var buffer = new ArrayBufferWriter<byte>();
            var writer = new MessagePackWriter(buffer);
            writer.WriteArrayHeader(digest.Length);
            foreach (DigestEntry e in digest)
            {
                writer.WriteArrayHeader(3);
                writer.Write(e.Name.Value);
                writer.Write(e.Uid);
                writer.Write(e.Version);
            }
            writer.Flush();
            Assert.False(TopologyCodec.TryDecodeDigest(buffer.WrittenMemory, out _, out string error));
            Assert.Contains("sorted", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TryDecodeDigest_ZeroVersion_Rejected()
    {
        byte[] body = Convert.FromHexString("91" + "93" + "CF00000A0B0C0D0E0F" + "07" + "00");
        Assert.False(TopologyCodec.TryDecodeDigest(body, out _, out string error));
        Assert.Contains(s_a.ToString(), error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecodeNames_Duplicate_Rejected()
    {
        byte[] body = Convert.FromHexString("92" + "CF00000A0B0C0D0E0F" + "CF00000A0B0C0D0E0F");
        Assert.False(TopologyCodec.TryDecodeNames(body, out _, out string error));
        Assert.Contains("twice", error, StringComparison.Ordinal);
    }
}

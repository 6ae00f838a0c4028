using FsCheck.Xunit;
using MessagePack;
using Weave.Gossip;
using Weave.Gossip.Protocol;
using Xunit;

namespace Weave.Tests.Gossip;

public sealed class PeerIntroTests
{
    private static readonly PeerIntro s_sample =
        new(new PeerName(0x5e1a00000001), "host-a", Uid: 12345, ConnectionId: 678, DataPort: 6784, Software: "weave-cs 0.1.0");

    private static Dictionary<string, string> ValidMap() => new()
    {
        ["Name"] = "5e:1a:00:00:00:01",
        ["NickName"] = "host-a",
        ["UID"] = "12345",
        ["ConnID"] = "678",
        ["DataPort"] = "6784",
        ["Software"] = "weave-cs 0.1.0",
        ["Trusted"] = "false",
        ["Chunks"] = "false",
        ["FastDP"] = "false",
    };

    private static byte[] Serialize<T>(T value) => MessagePackSerializer.Serialize(value);

    private static string DecodeError(byte[] body)
    {
        Assert.False(PeerIntro.TryDecode(body, out PeerIntro? intro, out string error));
        Assert.Null(intro);
        Assert.NotEqual("", error);
        return error;
    }

    [Fact]
    public void EncodeTryDecode_Sample_RoundTrips()
    {
        Assert.True(PeerIntro.TryDecode(s_sample.Encode(), out PeerIntro? decoded, out string error), error);
        Assert.Equal(s_sample, decoded);
        Assert.Equal("", error);
    }

    [Property]
    public bool EncodeTryDecode_RoundTrips(ulong name, ulong uid, ulong connectionId, ushort dataPort)
    {
        var intro = new PeerIntro(new PeerName((name & 0xFEFF_FFFF_FFFF) | 1), "nick", uid | 1, connectionId, dataPort | 1, "sw");
        return PeerIntro.TryDecode(intro.Encode(), out PeerIntro? decoded, out _) && intro == decoded;
    }

    [Fact]
    public void Encode_Sample_IsAMapOfStringsWithStableKeys()
    {
        byte[] body = s_sample.Encode();
        Assert.Equal(0x89, body[0]); // fixmap with nine entries
        var map = MessagePackSerializer.Deserialize<Dictionary<string, string>>(body);
        Assert.Equal(ValidMap(), map);
    }

    [Fact]
    public void Display_IsNameAndNickName()
    {
        Assert.Equal("5e:1a:00:00:00:01(host-a)", s_sample.Display);
    }

    [Fact]
    public void TryDecode_UnknownExtraFeatures_AreIgnored()
    {
        Dictionary<string, string> map = ValidMap();
        map["Overlays"] = "sleeve fastdp";
        map["SomeFutureFeature"] = "{\"x\":1}";
        Assert.True(PeerIntro.TryDecode(Serialize(map), out PeerIntro? decoded, out string error), error);
        Assert.Equal(s_sample, decoded);
    }

    [Fact]
    public void Encode_WithPublicKey_CarriesKeyAndCiphers_AndWithholdsNickNameAndSoftware()
    {
        byte[] key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        PeerIntro sealedIntro = s_sample with { PublicKey = key, Ciphers = "aes256gcm chacha20poly1305" };
        byte[] encoded = sealedIntro.Encode();

        Assert.True(PeerIntro.TryDecode(encoded, out PeerIntro? decoded, out string error), error);
        Assert.Equal(key, decoded!.PublicKey!.Value.ToArray());
        Assert.Equal("aes256gcm chacha20poly1305", decoded.Ciphers);
        Assert.Equal("", decoded.NickName);
        Assert.Equal(-1, encoded.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(s_sample.NickName)));

        Assert.True(decoded.TryAddPrivate(sealedIntro.EncodePrivate(), out PeerIntro? completed, out error), error);
        Assert.Equal(s_sample.NickName, completed!.NickName);
        Assert.Equal(s_sample.Software, completed.Software);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void EncodeTryDecode_Trusted_RoundTrips_WithAndWithoutPassword(bool trusted, bool withKey)
    {
        PeerIntro intro = s_sample with { Trusted = trusted };
        if (withKey)
        {
            intro = intro with { PublicKey = new byte[32], Ciphers = "chacha20poly1305" };
        }
        byte[] encoded = intro.Encode();

        Assert.True(PeerIntro.TryDecode(encoded, out PeerIntro? decoded, out string error), error);
        Assert.Equal(trusted, decoded!.Trusted);
        Assert.Equal(trusted ? "true" : "false", MessagePackSerializer.Deserialize<Dictionary<string, string>>(encoded)["Trusted"]);
        // The sealed part of the intro does not carry it, so completing the intro keeps it.
        Assert.True(decoded.TryAddPrivate(intro.EncodePrivate(), out PeerIntro? completed, out error), error);
        Assert.Equal(trusted, completed!.Trusted);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EncodeTryDecode_TakesChunks_RoundTrips(bool takesChunks)
    {
        byte[] encoded = (s_sample with { TakesChunks = takesChunks }).Encode();

        Assert.True(PeerIntro.TryDecode(encoded, out PeerIntro? decoded, out string error), error);
        Assert.Equal(takesChunks, decoded!.TakesChunks);
        Assert.Equal(takesChunks ? "true" : "false", MessagePackSerializer.Deserialize<Dictionary<string, string>>(encoded)["Chunks"]);
    }

    [Fact]
    public void TryDecode_ChunksAbsent_AnOlderPeer_TakesNone()
    {
        Dictionary<string, string> map = ValidMap();
        map.Remove("Chunks");
        Assert.True(PeerIntro.TryDecode(Serialize(map), out PeerIntro? decoded, out string error), error);
        Assert.False(decoded!.TakesChunks);
    }

    [Fact]
    public void TryDecode_ChunksNeitherTrueNorFalse_IsRefused()
    {
        Dictionary<string, string> map = ValidMap();
        map["Chunks"] = "yes";
        Assert.Contains("Chunks", DecodeError(Serialize(map)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FastDp_RoundTrips_AsTrueOrFalse(bool fastDp)
    {
        byte[] encoded = (s_sample with { FastDp = fastDp }).Encode();
        Assert.True(PeerIntro.TryDecode(encoded, out PeerIntro? decoded, out string error), error);
        Assert.Equal(fastDp, decoded!.FastDp);
        Assert.Equal(fastDp ? "true" : "false", MessagePackSerializer.Deserialize<Dictionary<string, string>>(encoded)["FastDP"]);
    }

    [Fact]
    public void TryDecode_NoFastDp_IsAUserspacePeer()
    {
        Dictionary<string, string> map = ValidMap();
        map.Remove("FastDP");
        Assert.True(PeerIntro.TryDecode(Serialize(map), out PeerIntro? decoded, out string error), error);
        Assert.False(decoded!.FastDp);
    }

    [Fact]
    public void TryDecode_FastDpNeitherTrueNorFalse_IsRefused()
    {
        Dictionary<string, string> map = ValidMap();
        map["FastDP"] = "maybe";
        Assert.Contains("FastDP", DecodeError(Serialize(map)), StringComparison.Ordinal);
    }

    private static ClusterIdentity Cluster(string name, string? range) =>
        Weave.Tests.Gossip.Topology.TopologyArbitraries.Cluster(name, range);

    [Theory]
    [InlineData("a", "10.32.0.0/12", false)]
    [InlineData("a", "10.32.0.0/12", true)]
    [InlineData("east-1", "fd00:32::/64", false)]
    [InlineData("b", null, false)]
    [InlineData("b", null, true)]
    public void EncodeTryDecode_Cluster_RoundTrips_InClearAlsoWithPassword(string name, string? range, bool withKey)
    {
        PeerIntro intro = s_sample with { Cluster = Cluster(name, range) };
        if (withKey)
        {
            intro = intro with { PublicKey = new byte[32], Ciphers = "chacha20poly1305" };
        }
        byte[] encoded = intro.Encode();

        Assert.True(PeerIntro.TryDecode(encoded, out PeerIntro? decoded, out string error), error);
        Assert.Equal(intro.Cluster, decoded!.Cluster);
        var map = MessagePackSerializer.Deserialize<Dictionary<string, string>>(encoded);
        Assert.Equal(name, map["Cluster"]);
        Assert.Equal(range, map.GetValueOrDefault("ClusterRange"));
        // The sealed part of the intro does not carry it, so completing the intro keeps it.
        Assert.True(decoded.TryAddPrivate(intro.EncodePrivate(), out PeerIntro? completed, out error), error);
        Assert.Equal(intro.Cluster, completed!.Cluster);
    }

    [Fact]
    public void TryDecode_ClusterAbsent_AnOlderPeer_HasNoCluster()
    {
        Assert.True(PeerIntro.TryDecode(Serialize(ValidMap()), out PeerIntro? decoded, out string error), error);
        Assert.Null(decoded!.Cluster);
        Assert.DoesNotContain("Cluster", MessagePackSerializer.Deserialize<Dictionary<string, string>>(s_sample.Encode()).Keys);
    }

    [Theory]
    [InlineData("East", "10.32.0.0/12", "invalid Cluster", "'East'")]
    [InlineData("", "10.32.0.0/12", "invalid Cluster", "not 0")]
    [InlineData("a_b", null, "invalid Cluster", "'a_b'")]
    [InlineData("a", "10.32.0.1/12", "invalid ClusterRange", "host bits")]
    [InlineData("a", "10.32.0.0", "invalid ClusterRange", "'10.32.0.0'")]
    [InlineData("a", "", "invalid ClusterRange", "prefix length")]
    [InlineData(null, "10.32.0.0/12", "ClusterRange without Cluster", "")]
    public void TryDecode_MalformedCluster_IsRefusedNamingTheFeature(string? name, string? range, string feature, string detail)
    {
        Dictionary<string, string> map = ValidMap();
        if (name is not null)
        {
            map["Cluster"] = name;
        }
        if (range is not null)
        {
            map["ClusterRange"] = range;
        }
        string error = DecodeError(Serialize(map));
        Assert.StartsWith("intro: ", error, StringComparison.Ordinal);
        Assert.Contains(feature, error, StringComparison.Ordinal);
        Assert.Contains(detail, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_TrustedAbsent_AnOlderPeer_DoesNotTrust()
    {
        Dictionary<string, string> map = ValidMap();
        map.Remove("Trusted");
        Assert.True(PeerIntro.TryDecode(Serialize(map), out PeerIntro? decoded, out string error), error);
        Assert.False(decoded!.Trusted);
    }

    [Theory]
    [InlineData("nacl")]
    [InlineData("0102")]
    [InlineData("zz02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20")]
    public void TryDecode_BadEncryptionKey_IsRefused(string key)
    {
        Dictionary<string, string> map = ValidMap();
        map["Encryption"] = key;
        Assert.False(PeerIntro.TryDecode(Serialize(map), out _, out string error));
        Assert.Contains("invalid Encryption key", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:00:00:00:00", "zero name")]
    [InlineData("ff:ff:ff:ff:ff:ff", "broadcast")]
    [InlineData("01:00:5e:00:00:01", "multicast")]
    public void TryDecode_NameNoPeerMayHave_IsRefused(string name, string expected)
    {
        Dictionary<string, string> map = ValidMap();
        map["Name"] = name;
        Assert.False(PeerIntro.TryDecode(Serialize(map), out PeerIntro? decoded, out string error));
        Assert.Null(decoded);
        Assert.Contains($"invalid peer name '{name}'", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_OptionalFeaturesMissing_DefaultToEmpty()
    {
        Dictionary<string, string> map = ValidMap();
        map.Remove("NickName");
        map.Remove("Software");
        Assert.True(PeerIntro.TryDecode(Serialize(map), out PeerIntro? decoded, out string error), error);
        Assert.Equal("", decoded!.NickName);
        Assert.Equal("", decoded.Software);
    }

    [Theory]
    [InlineData("Name")]
    [InlineData("UID")]
    [InlineData("ConnID")]
    [InlineData("DataPort")]
    public void TryDecode_RequiredFeatureMissing_NamesIt(string key)
    {
        Dictionary<string, string> map = ValidMap();
        map.Remove(key);
        Assert.Contains($"'{key}'", DecodeError(Serialize(map)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UID", "0")]
    [InlineData("UID", "-1")]
    [InlineData("UID", "18446744073709551616")]
    [InlineData("UID", "12x")]
    [InlineData("UID", "")]
    [InlineData("ConnID", "abc")]
    [InlineData("ConnID", " 1")]
    [InlineData("DataPort", "0")]
    [InlineData("DataPort", "70000")]
    [InlineData("DataPort", "65536")]
    [InlineData("DataPort", "-6784")]
    [InlineData("DataPort", "+6784")]
    [InlineData("Name", "5e:1a:00:00:00")]
    [InlineData("Name", "not a name")]
    [InlineData("Name", "")]
    [InlineData("Trusted", "yes")]
    [InlineData("Trusted", "True")]
    [InlineData("Trusted", "1")]
    [InlineData("Trusted", "")]
    public void TryDecode_InvalidValue_NamesFeatureAndValue(string key, string value)
    {
        Dictionary<string, string> map = ValidMap();
        map[key] = value;
        string error = DecodeError(Serialize(map));
        Assert.Contains(key == "Name" ? "peer name" : key, error, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_DataPortBounds_AreAccepted()
    {
        foreach (string port in new[] { "1", "65535" })
        {
            Dictionary<string, string> map = ValidMap();
            map["DataPort"] = port;
            Assert.True(PeerIntro.TryDecode(Serialize(map), out _, out string error), error);
        }
    }

    [Fact]
    public void TryDecode_OversizeBody_FailsBeforeParsing()
    {
        byte[] body = new byte[WireFormat.MaxIntroBytes + 1];
        Assert.Contains("too large", DecodeError(body), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_TooManyFeatures_Fails()
    {
        Dictionary<string, string> map = ValidMap();
        for (int i = map.Count; i <= WireFormat.MaxIntroFeatures; i++)
        {
            map[$"Extra{i}"] = "x";
        }
        Assert.Equal(WireFormat.MaxIntroFeatures + 1, map.Count);
        Assert.Contains("too many", DecodeError(Serialize(map)), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_MaximumFeatureCount_IsAccepted()
    {
        Dictionary<string, string> map = ValidMap();
        for (int i = map.Count; i < WireFormat.MaxIntroFeatures; i++)
        {
            map[$"Extra{i}"] = "x";
        }
        Assert.True(PeerIntro.TryDecode(Serialize(map), out _, out string error), error);
    }

    [Fact]
    public void TryDecode_FeatureTooLong_Fails()
    {
        Dictionary<string, string> map = ValidMap();
        map["NickName"] = new string('n', WireFormat.MaxFeatureLength + 1);
        Assert.Contains("too long", DecodeError(Serialize(map)), StringComparison.Ordinal);

        map = ValidMap();
        map[new string('k', WireFormat.MaxFeatureLength + 1)] = "v";
        Assert.Contains("too long", DecodeError(Serialize(map)), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_NonStringValue_Fails()
    {
        var map = new Dictionary<string, object>
        {
            ["Name"] = "5e:1a:00:00:00:01",
            ["UID"] = 12345,
            ["ConnID"] = "678",
            ["DataPort"] = "6784",
        };
        Assert.Contains("not a map of strings", DecodeError(Serialize(map)), StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[]> NonMaps => new()
    {
        { "array", MessagePackSerializer.Serialize(new[] { "Name", "UID" }) },
        { "int", MessagePackSerializer.Serialize(42) },
        { "string", MessagePackSerializer.Serialize("weave") },
        { "map of ints", MessagePackSerializer.Serialize(new Dictionary<int, int> { [1] = 2 }) },
        { "nil", [0xC0] },
        { "empty", [] },
        { "truncated map", [0x86, 0xA4, (byte)'N'] },
        { "garbage", [0xC1, 0xFF, 0x00, 0x13, 0x37] },
        { "map32 claiming 4G entries", [0xDF, 0xFF, 0xFF, 0xFF, 0xFF] },
        { "str32 claiming 4 GB", [0x81, 0xDB, 0xFF, 0xFF, 0xFF, 0xFF] },
        { "nested maps", [0x81, 0xA1, (byte)'a', 0x81, 0xA1, (byte)'b', 0xC0] },
    };

    [Theory]
    [MemberData(nameof(NonMaps))]
    public void TryDecode_NotAMapOfStrings_Fails(string description, byte[] body)
    {
        Assert.False(string.IsNullOrEmpty(DecodeError(body)), description);
    }

    [Fact]
    public void TryDecode_EmptyMap_LacksName()
    {
        Assert.Contains("'Name'", DecodeError([0x80]), StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_DuplicateKey_FailsWithoutThrowing()
    {
        byte[] one = Serialize(ValidMap());
        // The same pairs followed by a repeat of the first: a fixmap of one more.
        byte[] firstPair = Serialize(new Dictionary<string, string> { ["Name"] = "5e:1a:00:00:00:01" })[1..];
        byte[] body = [(byte)(0x80 | (ValidMap().Count + 1)), .. one[1..], .. firstPair];
        Assert.False(PeerIntro.TryDecode(body, out _, out _));
    }

    [Property]
    public void TryDecode_NeverThrows_OnRandomBytes(byte[] body)
    {
        bool ok = PeerIntro.TryDecode(body ?? [], out PeerIntro? intro, out string error);
        Assert.Equal(ok, intro is not null);
        Assert.Equal(ok, error.Length == 0);
    }

    [Property]
    public void TryDecode_NeverThrows_OnCorruptedIntro(int position, byte value, bool truncate)
    {
        byte[] body = s_sample.Encode();
        int at = (int)((uint)position % (uint)body.Length);
        body[at] = value;
        byte[] input = truncate ? body[..at] : body;
        bool ok = PeerIntro.TryDecode(input, out PeerIntro? intro, out string error);
        Assert.Equal(ok, intro is not null);
        Assert.Equal(ok, error.Length == 0);
    }
}

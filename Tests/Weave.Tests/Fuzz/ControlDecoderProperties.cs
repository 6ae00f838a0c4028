using System.Buffers;
using Weave.Crypto;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;
using Weave.Gossip.Topology;
using Weave.Ipam;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;
using Weave.Ipam.Wire;
using Weave.Tests.Ipam;
using Xunit;

namespace Weave.Tests.Fuzz;

/// <summary>
/// Every decoder of what a peer sends on TCP 6783, fed random and damaged bytes
/// (<see cref="DecoderProperty"/>, 100k inputs each): the handshake's header and intro, the
/// frame layer, gossip envelopes, topology records, digests and requests, IPAM messages, and the
/// sealed record layer.
/// </summary>
public sealed class ControlDecoderProperties
{
    private static readonly PeerName s_alice = new(0x5e1a00000001), s_bob = new(0x5e1a00000002);
    private static readonly ClusterIdentity s_cluster = Gossip.Topology.TopologyArbitraries.Cluster("east-1", "10.32.0.0/12");

    private static PeerIntro Intro(bool secure) => new(s_alice, "alice", 111, 1001, 6784, "weave-cs test")
    {
        PublicKey = secure ? new byte[32] : null,
        Ciphers = secure ? "aegis256 aes256gcm chacha20poly1305" : null,
        Trusted = secure,
        TakesChunks = true,
        Cluster = secure ? s_cluster : null,
    };

    /// <summary>Inputs the properties found: a bin32 or str32 length above 2 GB made MessagePack's reader throw ArgumentOutOfRangeException out of the decoders.</summary>
    [Theory]
    [InlineData("envelope", "94A178CF00005E1A0000000100C6EF14CB2A99687AE1537B034F5ADBD44F9086EEA8FDF2DB95C60FB9F4C08F3D3869CE9F18E6B9C22BEBB45CF232D885101CEEB9C8FD38366389AE8621C33DCAE58B3BBC42AB2808EF3AC6F0E16A1D861B3A7E21")]
    [InlineData("records", "9195CF00005E1A000001CCDBCDDFFBCC01438D8C2DBB7B8B92B15BACFCCFB99C9EB8C307BE136DACB4A00EDCC34CD5260654895533DFAFF8BFFD83FC368858A2472F3D")]
    public void HugeLengths_FoundByTheProperties_AreRefused(string decoder, string hex)
    {
        byte[] input = Convert.FromHexString(hex);
        bool decoded = decoder == "envelope"
            ? GossipEnvelope.TryDecode(input, out _, out string error)
            : TopologyCodec.TryDecodeRecords(input, out _, out error);
        Assert.False(decoded);
        Assert.Contains("malformed", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ProtocolHeader_AnyBytes_ParsedOrRefused()
    {
        byte[] header = new byte[WireFormat.HeaderSizeBytes];
        ProtocolHeader.Ours.Write(header);
        DecoderProperty.Check("ProtocolHeader.TryParse", [header], input => ProtocolHeader.TryParse(input, out _, out _));
    }

    [Fact]
    public void PeerIntro_AnyBytes_DecodedOrRefused()
    {
        byte[][] valid = [Intro(false).Encode(), Intro(true).Encode()];
        DecoderProperty.Check("PeerIntro.TryDecode", valid, input => PeerIntro.TryDecode(input, out _, out _));
    }

    [Fact]
    public void PeerIntroPrivatePart_AnyBytes_AddedOrRefused()
    {
        PeerIntro sealedIntro = Intro(true);
        DecoderProperty.Check("PeerIntro.TryAddPrivate", [sealedIntro.EncodePrivate()], input => sealedIntro.TryAddPrivate(input, out _, out _));
    }

    [Fact]
    public void Frames_AnyBytes_ReadOrRefused()
    {
        byte[][] valid = [FrameCodec.Encode(FrameTag.Heartbeat, []), FrameCodec.Encode(FrameTag.Intro, Intro(false).Encode()),
            [.. FrameCodec.Encode(FrameTag.TopologyDigest, [1, 2, 3]), .. FrameCodec.Encode(FrameTag.Heartbeat, [])]];
        DecoderProperty.Check("FrameCodec.TryRead", valid, input =>
        {
            var buffer = new ReadOnlySequence<byte>(input);
            FrameCodec.ReadResult result;
            while ((result = FrameCodec.TryRead(ref buffer, WireFormat.MaxFrameBytes, out _, out _, out _)) == FrameCodec.ReadResult.Frame)
            {
                // Every frame the input holds.
            }
            return result != FrameCodec.ReadResult.Invalid;
        });
    }

    [Fact]
    public void GossipEnvelope_AnyBytes_DecodedOrRefused()
    {
        byte[][] valid = [new GossipEnvelope("ipam", s_alice, s_bob, new byte[] { 1, 2, 3 }).Encode(), new GossipEnvelope("x", s_alice, default, Array.Empty<byte>()).Encode()];
        DecoderProperty.Check("GossipEnvelope.TryDecode", valid, input => GossipEnvelope.TryDecode(input, out _, out _));
    }

    [Fact]
    public void TopologyRecords_AnyBytes_DecodedOrRefused()
    {
        PeerRecord[] records =
        [
            new(s_alice, "alice", 1, 4, [new ConnectionSummary(s_bob, "10.0.0.2:6783", true, false)]),
            new(s_bob, "bob", 2, 1, [new ConnectionSummary(s_alice, "10.0.0.1:6783", false, true)], s_cluster),
        ];
        DecoderProperty.Check("TopologyCodec.TryDecodeRecords", [TopologyCodec.EncodeRecords(records), TopologyCodec.EncodeRecords([records[0]])],
            input => TopologyCodec.TryDecodeRecords(input, out _, out _));
    }

    [Fact]
    public void TopologyDigestAndRequest_AnyBytes_DecodedOrRefused()
    {
        byte[] digest = TopologyCodec.EncodeDigest([new DigestEntry(s_alice, 1, 4), new DigestEntry(s_bob, 2, 1)]);
        byte[] names = TopologyCodec.EncodeNames([s_alice, s_bob]);
        DecoderProperty.Check("TopologyCodec.TryDecodeDigest", [digest], input => TopologyCodec.TryDecodeDigest(input, out _, out _));
        DecoderProperty.Check("TopologyCodec.TryDecodeNames", [names], input => TopologyCodec.TryDecodeNames(input, out _, out _));
    }

    [Fact]
    public void IpamMessages_AnyBytes_DecodedOrRefused()
    {
        Ring ring = RingArbitraries.Build(5);
        var claims = new Dictionary<PeerName, NodeClaims>
        {
            [RingTests.P(1)] = new NodeClaims(3, new ProposalId(2, RingTests.P(1), 7), new ProposalId(1, RingTests.P(2), 9), [RingTests.P(1), RingTests.P(2)]),
        };
        IpamMessage[] messages =
        [
            new RingMessage(ring, new Dictionary<PeerName, string> { [RingTests.P(1)] = "host1" }),
            new PaxosMessage(Cidr.Parse("10.32.0.0/12"), claims),
            new SpaceRequestMessage(7, false, Cidr.Parse("10.1.0.0/28")),
            new SpaceGrantMessage(9, ring),
            new SpaceDeniedMessage(10, "no"),
        ];
        DecoderProperty.Check("IpamWire.TryDecode", [.. messages.Select(IpamWire.Encode)], input => IpamWire.TryDecode(input, out _, out _));
    }

    [Fact]
    public void SealedStreamRecords_AnyBytes_OpenedOrRefused()
    {
        byte[] key = new byte[32];
        var counters = new CryptoCounters();
        using var sealer = new StreamRecordSealer(CipherSuites.Supported[0], key, TimeProvider.System);
        byte[][] valid = [sealer.Seal(Intro(false).Encode())];
        // A fresh opener each time: records must come in order, and a refusal ends the stream.
        DecoderProperty.Check("StreamRecordOpener.TryOpen", valid, input =>
        {
            using var opener = new StreamRecordOpener(CipherSuites.Supported[0], key, WireFormat.MaxFrameBytes, counters);
            var buffer = new ReadOnlySequence<byte>(input);
            return opener.TryOpen(ref buffer, out _, out _) == StreamRecordOpener.Result.Record;
        });
    }
}

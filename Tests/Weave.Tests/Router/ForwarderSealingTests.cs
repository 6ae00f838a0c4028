using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Weave.Crypto;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Gossip.Routing;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// The sealed data plane (a password): forwarders wired through the in-memory fakes with data keys
/// per link; every datagram between neighbours is a sealed sleeve datagram, and nothing else is
/// accepted from them.
/// </summary>
public sealed class ForwarderSealingTests
{
    private const int Vni = 6783;
    private const ulong Mac0 = 0x0200_0000_00A0;
    private const ulong Mac1 = 0x0200_0000_00A1;
    private const ulong Mac2 = 0x0200_0000_00A2;
    private const byte Pattern = 0xC7;
    private const int TcpHeadersBytes = 14 + 20 + 20; // Ethernet, IPv4, TCP without options

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static long Dropped(Forwarder f) =>
        f.Counters.SleeveDropsUnopened + f.Counters.SleeveDropsBadHeader + f.Counters.SleeveDropsSealMismatch + f.Counters.SleeveDropsBadHeartbeat;

    [Fact]
    public void TwoPeers_FramesBothWays_TravelSealedOnTheSleevePortOnly()
    {
        using var mesh = new DataPlaneMesh(2, [(0, 1)], sealedLinks: true);
        byte[] flood = Frames.Ethernet(Frames.Broadcast, Mac0, payloadBytes: 300, fill: Pattern);
        byte[] reply = Frames.Ethernet(Mac0, Mac1, payloadBytes: 1400, fill: Pattern);

        mesh.FromBridge(0, flood);
        mesh.FromBridge(1, reply);

        List<byte[]>[] written = mesh.TakeWritten();
        Assert.Equal([flood], written[1]);
        Assert.Equal([reply], written[0]);
        Assert.All(mesh.Wire, w => Assert.True(w.Sleeve, "no VXLAN between sealing peers"));
        Assert.Equal([flood.Length + SleeveHeader.SealedOverheadBytes, reply.Length + SleeveHeader.SealedOverheadBytes], mesh.Wire.Select(w => w.Datagram.Length));
        byte[] clear = Enumerable.Repeat(Pattern, 16).ToArray();
        Assert.All(mesh.Wire, w => Assert.False(Contains(w.Datagram, clear), "the payload pattern in clear on the wire"));
        Assert.Equal(0, mesh.Nodes[0].Vxlan.SendCount + mesh.Nodes[1].Vxlan.SendCount);
    }

    [Fact]
    public void WithoutSealing_ThePatternShowsOnTheWire()
    {
        // The check above can fail: the same traffic unsealed carries the pattern in clear.
        using var mesh = new DataPlaneMesh(2, [(0, 1)]);
        mesh.FromBridge(0, Frames.Ethernet(Frames.Broadcast, Mac0, payloadBytes: 300, fill: Pattern));
        Assert.Contains(mesh.Wire, w => Contains(w.Datagram, Enumerable.Repeat(Pattern, 16).ToArray()));
    }

    [Fact]
    public void TcpSuperFrame_CutSealedInOneGsoSend_ArrivesAsTheSegments()
    {
        using var mesh = new DataPlaneMesh(2, [(0, 1)], sealedLinks: true);
        mesh.FromBridge(1, Frames.Ethernet(Frames.Broadcast, Mac1)); // 0 learns where Mac1 lives
        mesh.TakeWritten();
        mesh.Wire.Clear();
        byte[] super = TcpTraffic.SuperFrame(Mac1, Mac0, 20 * TcpTraffic.Mss);

        mesh.FromBridge(0, super, TcpTraffic.Gso());

        var (from, to, sleeve, datagram) = Assert.Single(mesh.Wire); // one GSO send of 20 sealed segments
        Assert.True(sleeve);
        byte[][] segments = TcpTraffic.Segments(super);
        Assert.Equal(segments.Sum(s => s.Length + SleeveHeader.SealedOverheadBytes), datagram.Length);
        // Opened and coalesced again at the receiver: one super-frame with the same TCP payload.
        byte[] arrived = Assert.Single(mesh.TakeWritten()[1]);
        Assert.Equal(super.Length, arrived.Length);
        Assert.Equal(super.AsSpan(TcpHeadersBytes).ToArray(), arrived.AsSpan(TcpHeadersBytes).ToArray());
        Assert.Equal(segments.Length - 1, mesh.Nodes[1].Forwarder.Counters.SleeveSegmentsCoalesced);
        Assert.Equal(0, mesh.Nodes[1].Forwarder.SealingCounters.AuthenticationFailures);
    }

    [Fact]
    public void FlippedBitAnywhere_DroppedAndCounted_ThenTheOriginalStillOpens()
    {
        using var mesh = new DataPlaneMesh(2, [(0, 1)], sealedLinks: true);
        mesh.Drop = _ => true; // capture instead of deliver
        byte[] frame = Frames.Ethernet(Frames.Broadcast, Mac0, payloadBytes: 60);
        mesh.FromBridge(0, frame);
        byte[] original = Assert.Single(mesh.Wire).Datagram;
        mesh.Drop = null;
        Forwarder receiver = mesh.Nodes[1].Forwarder;

        for (int bit = 0; bit < original.Length * 8; bit++)
        {
            byte[] forged = (byte[])original.Clone();
            forged[bit / 8] ^= (byte)(1 << (bit % 8));
            mesh.Inject(0, 1, forged, sleeve: true);
        }

        Assert.Empty(mesh.TakeWritten()[1]);
        Assert.Equal(original.Length * 8, Dropped(receiver));
        Assert.Equal(0, receiver.Macs.Count);
        CryptoCounters crypto = receiver.SealingCounters;
        Assert.True(crypto.AuthenticationFailures >= (original.Length - 16) * 8 / 2, $"{crypto.AuthenticationFailures} authentication failures");
        mesh.Inject(0, 1, original, sleeve: true); // no failure moved the replay window or the keys
        Assert.Equal([frame], mesh.TakeWritten()[1]);
    }

    [Fact]
    public void ReplayedDatagram_DroppedAndCounted()
    {
        using var mesh = new DataPlaneMesh(2, [(0, 1)], sealedLinks: true);
        mesh.FromBridge(0, Frames.Ethernet(Frames.Broadcast, Mac0));
        Assert.Single(mesh.TakeWritten()[1]);

        mesh.Inject(0, 1, mesh.Wire[0].Datagram, sleeve: true);

        Assert.Empty(mesh.TakeWritten()[1]);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.SealingCounters.Replays);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.SleeveDropsUnopened);
    }

    [Fact]
    public void PlaintextFromASealingPeer_VxlanOrSleeve_Refused()
    {
        using var mesh = new DataPlaneMesh(2, [(0, 1)], sealedLinks: true);
        byte[] frame = Frames.Ethernet(Frames.Broadcast, Mac0);
        byte[] sleeve = new byte[SleeveHeader.SizeBytes + frame.Length];
        new SleeveHeader(SleeveKind.Flood, mesh.Nodes[0].Name, mesh.Nodes[1].Name).Write(sleeve);
        frame.CopyTo(sleeve, SleeveHeader.SizeBytes);

        mesh.Inject(0, 1, Frames.Vxlan(Vni, frame), sleeve: false);
        mesh.Inject(0, 1, sleeve, sleeve: true);

        Assert.Empty(mesh.TakeWritten()[1]);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.DropsPlaintextRefused);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.SleeveDropsSealMismatch);
        Assert.Equal(0, mesh.Nodes[1].Forwarder.Macs.Count);
    }

    [Fact]
    public void Relay_OpensAndSealsAgainForTheNextHop()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)], sealedLinks: true);
        byte[] flood = Frames.Ethernet(Frames.Broadcast, Mac2, payloadBytes: 200);
        mesh.FromBridge(2, flood); // relayed by 1 down 2's broadcast tree; 0 learns Mac2 behind 2
        Assert.Equal([flood], mesh.TakeWritten()[0]);
        mesh.Wire.Clear();
        byte[] unicast = Frames.Ethernet(Mac2, Mac0, payloadBytes: 1000, fill: Pattern);

        mesh.FromBridge(0, unicast);

        Assert.Equal([(0, 1, true), (1, 2, true)], mesh.Wire.Select(w => (w.From, w.To, w.Sleeve)));
        Assert.Equal([unicast], mesh.TakeWritten()[2]);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.SleeveRelayed);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.SleeveFloodsRelayed);
        // Each hop has its own keys: the two datagrams share the header, not the ciphertext.
        byte[] first = mesh.Wire[0].Datagram, second = mesh.Wire[1].Datagram;
        Assert.Equal(first.AsSpan(0, SleeveHeader.SizeBytes).ToArray(), second.AsSpan(0, SleeveHeader.SizeBytes).ToArray());
        Assert.NotEqual(first.AsSpan(SleeveHeader.SealedPayloadOffset).ToArray(), second.AsSpan(SleeveHeader.SealedPayloadOffset).ToArray());
        // ...so what the first hop carried does not open at the last (its counter, 0, is also one
        // the last hop's window has seen: refused as a replay before any decryption).
        mesh.Inject(1, 2, first, sleeve: true);
        Assert.Empty(mesh.TakeWritten()[2]);
        CryptoCounters crypto = mesh.Nodes[2].Forwarder.SealingCounters;
        Assert.Equal(1, crypto.AuthenticationFailures + crypto.Replays);
        Assert.Equal(1, mesh.Nodes[2].Forwarder.Counters.SleeveDropsUnopened);
    }

    [Fact]
    public void Heartbeats_SealedOnTheSleevePortAlone_MakeThePathHealthy()
    {
        using var mesh = new DataPlaneMesh(2, [(0, 1)], sealedLinks: true);
        long now = TimeProvider.System.GetTimestamp();

        mesh.Heartbeats(now);
        mesh.Heartbeats(now + TimeProvider.System.TimestampFrequency);

        Assert.All(mesh.Wire, w => Assert.True(w.Sleeve));
        Assert.All(mesh.Wire, w => Assert.Equal(HeartbeatBody.SleeveDatagramBytes + RecordFormat.DatagramOverheadBytes, w.Datagram.Length));
        long timeout = (long)(Forwarder.HealthTimeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        foreach (DataPlaneMesh.Node node in mesh.Nodes)
        {
            DataPeer peer = Assert.Single(node.Forwarder.Peers);
            Assert.Equal(0, peer.Health.Missing(now + TimeProvider.System.TimestampFrequency, timeout));
            Assert.Equal(2, node.Forwarder.Counters.SleeveHeartbeatsReceived);
        }
    }

    /// <summary>
    /// House rule 1 with sealing: 100,000 frames each way (super-frames cut and sealed in GSO sends
    /// towards the peer, sealed TCP segments opened and coalesced towards the bridge) allocate nothing.
    /// </summary>
    [Fact]
    public void SealedBothWays_100000Frames_AllocatesNothing()
    {
        const int plainFrames = 16;
        const int superFrames = 2;
        const int segmentsPerSuperFrame = 40;
        const int inboundSegments = 40; // one super-frame of at most 64 KB
        const ulong remoteMac = 0x0200_0000_00B1;
        TimeProvider time = TimeProvider.System;
        byte[] toPeer = RandomNumberGenerator.GetBytes(32), fromPeer = RandomNumberGenerator.GetBytes(32);
        var tap = new ChannelTapDevice { Record = false };
        var udp = new ChannelDatagramTransport { Record = false };
        var sleeve = new ChannelDatagramTransport { Record = false };
        PeerName self = TopologyBuilder.Name(0), other = TopologyBuilder.Name(1);
        using var forwarder = new Forwarder(self, tap, udp, sleeve, Vni, time, NullLogger.Instance);
        var peer = new DataPeer(other, "other", new IPEndPoint(IPAddress.Parse("192.0.2.2"), 6784), null,
            new DataSealing(new DatagramSealer(CipherSuite.ChaCha20Poly1305, toPeer, time),
                new DatagramOpener(CipherSuite.ChaCha20Poly1305, fromPeer, forwarder.SealingCounters)));
        forwarder.AddPeer(peer);
        forwarder.Macs.Learn(remoteMac, other, 0);
        // What the peer sends us, sealed afresh each batch with its keys (a replay would be dropped).
        var peerSealing = new DataSealing(new DatagramSealer(CipherSuite.ChaCha20Poly1305, fromPeer, time),
            new DatagramOpener(CipherSuite.ChaCha20Poly1305, toPeer, new CryptoCounters()));

        var frames = new PacketBatch(plainFrames + superFrames, allocateBuffers: true);
        for (int i = 0; i < plainFrames + superFrames; i++)
        {
            byte[] frame = i < plainFrames ? Frames.Ethernet(remoteMac, Mac0, payloadBytes: 1 + (i * 89 % 1400))
                : TcpTraffic.SuperFrame(remoteMac, Mac0, segmentsPerSuperFrame * TcpTraffic.Mss);
            frame.CopyTo(frames.Buffers[i], PacketBatch.Headroom);
            frames.Set(i, frames.Buffers[i], PacketBatch.Headroom, frame.Length);
            frames.Offloads[i] = i < plainFrames ? default : TcpTraffic.Gso();
        }
        frames.Count = plainFrames + superFrames;

        var datagrams = new PacketBatch(inboundSegments, allocateBuffers: true);
        byte[] header = new byte[SleeveHeader.SizeBytes];
        new SleeveHeader(SleeveKind.Unicast, other, self, Sealed: true).Write(header);
        // A TCP stream's segments, coalesced again into one super-frame per batch on the way to the TAP.
        byte[][] inbound = TcpTraffic.Segments(TcpTraffic.SuperFrame(Mac0, remoteMac, inboundSegments * TcpTraffic.Mss));
        void SealInbound()
        {
            for (int i = 0; i < inboundSegments; i++)
            {
                byte[] buffer = datagrams.Buffers[i];
                int start = PacketBatch.Headroom - SleeveHeader.SizeBytes;
                header.CopyTo(buffer, start);
                inbound[i].CopyTo(buffer, start + SleeveHeader.SealedPayloadOffset);
                Span<DatagramSlice> slice = [new DatagramSlice(start + SleeveHeader.SealedPayloadOffset, inbound[i].Length)];
                Assert.True(peerSealing.TrySeal(buffer, slice, header));
                datagrams.Set(i, buffer, start, inbound[i].Length + SleeveHeader.SealedOverheadBytes);
                datagrams.Endpoints[i] = peer.SleeveAddress;
            }
            datagrams.Count = inboundSegments;
        }

        int framesPerBatch = plainFrames + (superFrames * segmentsPerSuperFrame);
        int batches = (100_000 + Math.Min(framesPerBatch, inboundSegments) - 1) / Math.Min(framesPerBatch, inboundSegments);
        for (int i = 0; i < 100; i++)
        {
            forwarder.ForwardFromBridge(frames);
            SealInbound();
            forwarder.ForwardFromSleeve(datagrams);
        }
        long segmentsBefore = forwarder.Counters.SegmentsFromBridge;
        long writtenBefore = forwarder.Counters.SleeveFramesToBridge;
        long coalescedBefore = forwarder.Counters.SleeveSegmentsCoalesced;
        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < batches; i++)
            {
                forwarder.ForwardFromBridge(frames);
                SealInbound();
                forwarder.ForwardFromSleeve(datagrams);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(rounds[^1] == 0, $"bytes allocated per round of {batches * framesPerBatch:N0} frames out and {batches * inboundSegments:N0} in: {string.Join(", ", rounds)}");
        Assert.Equal(rounds.Count * (long)batches * superFrames * segmentsPerSuperFrame, forwarder.Counters.SegmentsFromBridge - segmentsBefore);
        Assert.Equal(rounds.Count * (long)batches, forwarder.Counters.SleeveFramesToBridge - writtenBefore);
        Assert.Equal(rounds.Count * (long)batches * (inboundSegments - 1), forwarder.Counters.SleeveSegmentsCoalesced - coalescedBefore);
        Assert.Equal(0, forwarder.SealingCounters.AuthenticationFailures + forwarder.SealingCounters.Replays);
        Assert.Equal(0, udp.SendCount);
    }
}

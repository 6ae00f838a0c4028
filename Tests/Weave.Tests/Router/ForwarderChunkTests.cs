using Weave.Crypto;
using Weave.Linux;
using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// Chunked super-frames between sealed neighbours that take them (BridgeReader.cs SendChunks,
/// SleeveReceiver.cs ReceiveChunk): a TCP super-frame from the bridge travels as pieces of its
/// bytes and reaches the neighbour's bridge whole, over the in-memory fakes.
/// </summary>
public sealed class ForwarderChunkTests
{
    private const ulong Mac0 = 0x0200_0000_00A0;
    private const ulong Mac1 = 0x0200_0000_00A1;
    private const ulong Mac2 = 0x0200_0000_00A2;
    private const int Mtu = 1420;
    private const int Mss = 1300; // segments of 66 + 1300 bytes fit the overlay MTU
    private const int PieceBytes = Mtu + 14 - ChunkHeader.SizeBytes;
    private const int FullDatagram = SleeveHeader.SealedOverheadBytes + ChunkHeader.SizeBytes + PieceBytes;

    /// <summary>Sealed with the cipher peers agree on here (AEGIS-256 where the CPU has AES-NI,
    /// whose pieces are sealed straight from the frame), unless told otherwise.</summary>
    private static DataPlaneMesh Mesh(int count, (int A, int B)[] links, bool chunks, CipherSuite? suite = null) =>
        new(count, links, sealedLinks: true, chunks: chunks, mtu: Mtu, suite: suite ?? CipherSuites.Supported[0]);

    public static TheoryData<CipherSuite> Suites() => [.. CipherSuites.Supported];

    /// <summary>Every node learns where every other's MAC lives (one broadcast each).</summary>
    private static void Learn(DataPlaneMesh mesh, params ulong[] macs)
    {
        for (int i = 0; i < macs.Length; i++)
        {
            mesh.FromBridge(i, Frames.Ethernet(Frames.Broadcast, macs[i]));
        }
        mesh.TakeWritten();
        mesh.Wire.Clear();
    }

    private static (byte[] Frame, VirtioNetHeader Offload) TakeWrittenWithOffload(DataPlaneMesh mesh, int node)
    {
        Assert.True(mesh.Nodes[node].Tap.TryTakeWrittenWithOffload(TimeSpan.Zero, out var written), "nothing written to the bridge");
        return written;
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public void SuperFrame_ToANeighbourThatTakesChunks_TravelsAsPieces_AndArrivesWhole(CipherSuite suite)
    {
        using DataPlaneMesh mesh = Mesh(2, [(0, 1)], chunks: true, suite);
        Learn(mesh, Mac0, Mac1);
        byte[] super = TcpTraffic.SuperFrame(Mac1, Mac0, 40 * Mss);

        mesh.FromBridge(0, super, TcpTraffic.Gso(Mss));

        int pieces = (super.Length + PieceBytes - 1) / PieceBytes;
        Assert.All(mesh.Wire, w => Assert.True(w.Sleeve));
        Assert.Equal(super.Length + (pieces * (SleeveHeader.SealedOverheadBytes + ChunkHeader.SizeBytes)), mesh.Wire.Sum(w => w.Datagram.Length));
        Assert.True(mesh.Wire[0].Datagram.Length > FullDatagram, "the pieces went in one GSO send");
        Assert.Equal(pieces, mesh.Nodes[0].Forwarder.Counters.SleeveChunksSent);
        Assert.Equal(0, mesh.Nodes[0].Forwarder.Counters.SegmentsFromBridge);

        var (frame, offload) = TakeWrittenWithOffload(mesh, 1);
        Assert.Equal(super, frame); // byte for byte: headers, payload and the partial checksum as the sender's kernel left it
        Assert.Equal(new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4, TcpTraffic.HeaderLength, Mss, 34, 16), offload);
        ForwarderCounters received = mesh.Nodes[1].Forwarder.Counters;
        Assert.Equal(pieces, received.SleeveChunksReceived);
        Assert.Equal(1, received.SleeveChunkedFramesToBridge);
        Assert.Equal(0, received.SleeveDropsBadChunk + received.SleeveChunkedFramesAbandoned);
        Assert.Empty(mesh.TakeWritten()[1]);
    }

    [Fact]
    public void IPv6SuperFrame_WithEcn_ArrivesWhole_WithItsGsoType()
    {
        using DataPlaneMesh mesh = Mesh(2, [(0, 1)], chunks: true);
        Learn(mesh, Mac0, Mac1);
        byte[] super = Weave.Tests.Linux.TcpFrames.Build(ipv6: true, 20 * Mss, sequence: 7, flags: Weave.Tests.Linux.TcpFrames.Ack);
        WriteMacs(super, Mac1, Mac0);
        const byte GsoType = VirtioNetHeader.GsoTcpV6 | VirtioNetHeader.GsoEcn;
        const int HeaderLength = 14 + 40 + 32;

        mesh.FromBridge(0, super, new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, GsoType, HeaderLength, Mss, 54, 16));

        var (frame, offload) = TakeWrittenWithOffload(mesh, 1);
        Assert.Equal(super, frame);
        Assert.Equal(new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, GsoType, HeaderLength, Mss, 54, 16), offload);
        Assert.Equal(0, mesh.Nodes[0].Forwarder.Counters.SegmentsFromBridge);
    }

    private static void WriteMacs(byte[] frame, ulong destination, ulong source)
    {
        for (int i = 0; i < 6; i++)
        {
            frame[i] = (byte)(destination >> (40 - (8 * i)));
            frame[6 + i] = (byte)(source >> (40 - (8 * i)));
        }
    }

    [Fact]
    public void SuperFrame_ToANeighbourThatDoesNotTakeChunks_TravelsAsSegments()
    {
        using DataPlaneMesh mesh = Mesh(2, [(0, 1)], chunks: false);
        Learn(mesh, Mac0, Mac1);
        byte[] super = TcpTraffic.SuperFrame(Mac1, Mac0, 40 * Mss);

        mesh.FromBridge(0, super, TcpTraffic.Gso(Mss));

        Assert.Equal(0, mesh.Nodes[0].Forwarder.Counters.SleeveChunksSent);
        Assert.Equal(40, mesh.Nodes[0].Forwarder.Counters.SegmentsFromBridge);
        var (frame, _) = TakeWrittenWithOffload(mesh, 1); // coalesced again from the segments
        Assert.Equal(super.Length, frame.Length);
        Assert.Equal(0, mesh.Nodes[1].Forwarder.Counters.SleeveChunksReceived);
    }

    [Fact]
    public void SuperFrame_ThroughARelay_TravelsAsSegments()
    {
        // 0 - 1 - 2: chunks go only to the neighbour that is the frame's destination, never through a relay.
        using DataPlaneMesh mesh = Mesh(3, [(0, 1), (1, 2)], chunks: true);
        Learn(mesh, Mac0, Mac1, Mac2);
        byte[] super = TcpTraffic.SuperFrame(Mac2, Mac0, 10 * Mss);

        mesh.FromBridge(0, super, TcpTraffic.Gso(Mss));

        Assert.Equal(0, mesh.Nodes[0].Forwarder.Counters.SleeveChunksSent);
        Assert.Equal(10, mesh.Nodes[0].Forwarder.Counters.SegmentsFromBridge);
        Assert.True(mesh.Nodes[1].Forwarder.Counters.SleeveRelayed > 0);
        var (frame, _) = TakeWrittenWithOffload(mesh, 2);
        Assert.Equal(super.Length, frame.Length);
    }

    [Fact]
    public void LostPiece_AbandonsTheFrame_ItsLatePieceIsDropped_AndTheNextFrameArrivesWhole()
    {
        using DataPlaneMesh mesh = Mesh(2, [(0, 1)], chunks: true);
        Learn(mesh, Mac0, Mac1);
        mesh.Drop = _ => true; // capture the first frame's pieces instead of delivering them
        mesh.FromBridge(0, TcpTraffic.SuperFrame(Mac1, Mac0, 20 * Mss), TcpTraffic.Gso(Mss));
        mesh.Drop = null;
        List<byte[]> pieces = [.. mesh.Wire.SelectMany(w => TcpTraffic.Split(w.Datagram, FullDatagram))];
        Assert.True(pieces.Count >= 4);

        for (int i = 0; i < pieces.Count; i++)
        {
            if (i != 2)
            {
                mesh.Inject(0, 1, pieces[i], sleeve: true);
            }
        }
        mesh.Inject(0, 1, pieces[2], sleeve: true); // too late: its frame was given up

        Assert.Empty(mesh.TakeWritten()[1]);
        ForwarderCounters counters = mesh.Nodes[1].Forwarder.Counters;
        Assert.Equal(1, counters.SleeveChunkedFramesAbandoned);
        Assert.Equal(pieces.Count - 2, counters.SleeveDropsBadChunk); // the pieces after the gap, and the late one

        byte[] next = TcpTraffic.SuperFrame(Mac1, Mac0, 20 * Mss, sequence: 50_000);
        mesh.FromBridge(0, next, TcpTraffic.Gso(Mss));
        Assert.Equal(next, TakeWrittenWithOffload(mesh, 1).Frame);
        Assert.Equal(1, counters.SleeveChunkedFramesToBridge);
    }

    /// <summary>
    /// A lossy link: every chunked frame loses its last GSO send. The receiver's next heartbeat says
    /// its chunks arrive incomplete, the sender sends segments for <see cref="Forwarder.ChunkPause"/>,
    /// then tries chunks again.
    /// </summary>
    [Fact]
    public void ChunksArrivingIncomplete_TheReceiverSaysSo_AndTheSenderSendsSegmentsForAPause()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(1));
        using var mesh = new DataPlaneMesh(2, [(0, 1)], time, sealedLinks: true, chunks: true, mtu: Mtu);
        Learn(mesh, Mac0, Mac1);
        mesh.Heartbeats(time.GetTimestamp()); // a first heartbeat each way, nothing lost yet
        Assert.Equal(0, mesh.Nodes[0].Forwarder.Counters.ChunkPauses);
        int sends = 0;
        mesh.Drop = hop => hop.From == 0 && hop.Sleeve && ++sends % 2 == 0; // each frame's second send: its 45th piece
        for (uint n = 0; n < 5; n++)
        {
            mesh.FromBridge(0, TcpTraffic.SuperFrame(Mac1, Mac0, 48 * Mss, sequence: n * 100_000), TcpTraffic.Gso(Mss));
        }
        mesh.Drop = null;
        Assert.Equal(4, mesh.Nodes[1].Forwarder.Counters.SleeveChunkedFramesAbandoned); // the fifth is still waiting
        Assert.Empty(mesh.TakeWritten()[1]);

        time.Advance(TimeSpan.FromSeconds(1));
        mesh.Heartbeats(time.GetTimestamp());
        Forwarder sender = mesh.Nodes[0].Forwarder;
        Assert.Equal(1, sender.Counters.ChunkPauses);
        long chunksSent = sender.Counters.SleeveChunksSent;
        byte[] super = TcpTraffic.SuperFrame(Mac1, Mac0, 40 * Mss, sequence: 900_000);
        mesh.FromBridge(0, super, TcpTraffic.Gso(Mss));
        Assert.Equal(chunksSent, sender.Counters.SleeveChunksSent);
        Assert.Equal(40, sender.Counters.SegmentsFromBridge);
        Assert.Equal(super.Length, TakeWrittenWithOffload(mesh, 1).Frame.Length); // coalesced from segments

        time.Advance(Forwarder.ChunkPause);
        mesh.Heartbeats(time.GetTimestamp()); // nothing lost since: no new pause
        mesh.FromBridge(0, super, TcpTraffic.Gso(Mss));
        Assert.True(sender.Counters.SleeveChunksSent > chunksSent, "chunks did not resume after the pause");
        Assert.Equal(1, sender.Counters.ChunkPauses);
        Assert.Equal(super, TakeWrittenWithOffload(mesh, 1).Frame);
    }

    [Fact]
    public void ReplayedPieces_AreDroppedByTheOpener_AndWriteNothing()
    {
        using DataPlaneMesh mesh = Mesh(2, [(0, 1)], chunks: true);
        Learn(mesh, Mac0, Mac1);
        byte[] super = TcpTraffic.SuperFrame(Mac1, Mac0, 10 * Mss);
        mesh.FromBridge(0, super, TcpTraffic.Gso(Mss));
        Assert.Equal(super, TakeWrittenWithOffload(mesh, 1).Frame);

        foreach (byte[] piece in mesh.Wire.SelectMany(w => TcpTraffic.Split(w.Datagram, FullDatagram)))
        {
            mesh.Inject(0, 1, piece, sleeve: true);
        }

        Assert.Empty(mesh.TakeWritten()[1]);
        Assert.True(mesh.Nodes[1].Forwarder.SealingCounters.Replays > 0);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.SleeveChunkedFramesToBridge);
    }

    /// <summary>
    /// Two forgeries of the fourth piece arrive while its frame is in progress: one whose
    /// (malleable) ciphertext would now decrypt to "offset 0", the start of a new frame, and one
    /// with a flipped bit in its bytes. Both fail authentication and neither disturbs the frame:
    /// the genuine pieces that follow complete it byte for byte.
    /// </summary>
    [Theory]
    [MemberData(nameof(Suites))]
    public void ForgedPieces_FailAuthentication_AndLeaveTheFrameInProgressWhole(CipherSuite suite)
    {
        using DataPlaneMesh mesh = Mesh(2, [(0, 1)], chunks: true, suite);
        Learn(mesh, Mac0, Mac1);
        byte[] super = TcpTraffic.SuperFrame(Mac1, Mac0, 12 * Mss);
        mesh.Drop = _ => true;
        mesh.FromBridge(0, super, TcpTraffic.Gso(Mss));
        mesh.Drop = null;
        List<byte[]> pieces = [.. mesh.Wire.SelectMany(w => TcpTraffic.Split(w.Datagram, FullDatagram))];
        Assert.True(pieces.Count >= 6);
        const int ChunkHeaderAt = SleeveHeader.SizeBytes + Weave.Crypto.RecordFormat.DatagramHeaderSizeBytes;

        for (int i = 0; i < 3; i++)
        {
            mesh.Inject(0, 1, pieces[i], sleeve: true);
        }
        byte[] claimsStart = (byte[])pieces[3].Clone();
        int offset = 3 * PieceBytes;
        for (int b = 0; b < 4; b++)
        {
            claimsStart[ChunkHeaderAt + 8 + b] ^= (byte)(offset >> (24 - (8 * b))); // decrypts to offset 0
        }
        mesh.Inject(0, 1, claimsStart, sleeve: true);
        byte[] flippedByte = (byte[])pieces[3].Clone();
        flippedByte[ChunkHeaderAt + ChunkHeader.SizeBytes + 100] ^= 0x01;
        mesh.Inject(0, 1, flippedByte, sleeve: true);
        for (int i = 3; i < pieces.Count; i++)
        {
            mesh.Inject(0, 1, pieces[i], sleeve: true);
        }

        Assert.Equal(2, mesh.Nodes[1].Forwarder.SealingCounters.AuthenticationFailures);
        Assert.Equal(super, TakeWrittenWithOffload(mesh, 1).Frame);
        ForwarderCounters counters = mesh.Nodes[1].Forwarder.Counters;
        Assert.Equal(0, counters.SleeveChunkedFramesAbandoned + counters.SleeveDropsBadChunk);
        Assert.Equal(1, counters.SleeveChunkedFramesToBridge);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TakesChunks_OnlyWhenTheBridgeTakesSuperFrames(bool offloads)
    {
        using var tap = new Fakes.ChannelTapDevice(supportsOffloads: offloads);
        using var udp = new Fakes.ChannelDatagramTransport();
        using var sleeve = new Fakes.ChannelDatagramTransport();
        using var forwarder = new Forwarder(new Weave.Gossip.PeerName(1), tap, udp, sleeve, 6783, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Equal(offloads, forwarder.TakesChunks);
    }
}

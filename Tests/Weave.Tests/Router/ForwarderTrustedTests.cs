using Weave.Crypto;
using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// A password with <c>--trusted-subnets</c>: a neighbour whose connection says both ends trust each
/// other gets no data keys, so the forwarder treats it as without a password (VXLAN when direct,
/// plain sleeve when relayed, heartbeats on both ports, plaintext accepted), while every other
/// neighbour of the same forwarder stays sealed.
/// </summary>
public sealed class ForwarderTrustedTests
{
    private const int Vni = 6783;
    private const ulong Mac0 = 0x0200_0000_00A0;
    private const ulong Mac1 = 0x0200_0000_00A1;
    private const ulong Mac2 = 0x0200_0000_00A2;
    private const byte Pattern = 0xC7;

    private static readonly byte[] s_clear = Enumerable.Repeat(Pattern, 16).ToArray();

    private static bool InClear(byte[] datagram) => datagram.AsSpan().IndexOf(s_clear) >= 0;

    /// <summary>Full mesh of three with one password; only 0 and 1 trust each other.</summary>
    private static DataPlaneMesh TrustedPairInSealedMesh() =>
        new(3, [(0, 1), (0, 2), (1, 2)], sealedLinks: true, trustedLinks: [(0, 1)]);

    [Fact]
    public void TrustedNeighbour_GetsVxlanInClear_SealingNeighbour_GetsSealedSleeve()
    {
        using var mesh = TrustedPairInSealedMesh();
        mesh.FromBridge(1, Frames.Ethernet(Frames.Broadcast, Mac1)); // 0 learns Mac1 behind 1
        mesh.FromBridge(2, Frames.Ethernet(Frames.Broadcast, Mac2)); // ...and Mac2 behind 2
        mesh.TakeWritten();
        mesh.Wire.Clear();
        byte[] toTrusted = Frames.Ethernet(Mac1, Mac0, payloadBytes: 1000, fill: Pattern);
        byte[] toSealing = Frames.Ethernet(Mac2, Mac0, payloadBytes: 1000, fill: Pattern);

        mesh.FromBridge(0, toTrusted);
        mesh.FromBridge(0, toSealing);

        Assert.Equal([(0, 1, false), (0, 2, true)], mesh.Wire.Select(w => (w.From, w.To, w.Sleeve)));
        Assert.True(InClear(mesh.Wire[0].Datagram), "VXLAN to the trusted neighbour carries the frame as it is");
        Assert.Equal(toTrusted.Length + VxlanHeader.SizeBytes, mesh.Wire[0].Datagram.Length);
        Assert.False(InClear(mesh.Wire[1].Datagram), "the frame to the sealing neighbour shows in clear");
        Assert.Equal(toSealing.Length + SleeveHeader.SealedOverheadBytes, mesh.Wire[1].Datagram.Length);
        List<byte[]>[] written = mesh.TakeWritten();
        Assert.Equal([toTrusted], written[1]);
        Assert.Equal([toSealing], written[2]);
    }

    [Fact]
    public void Flood_VxlanToTheTrustedNeighbour_SealedToTheOther()
    {
        using var mesh = TrustedPairInSealedMesh();
        byte[] flood = Frames.Ethernet(Frames.Broadcast, Mac0, payloadBytes: 300, fill: Pattern);

        mesh.FromBridge(0, flood);

        Assert.Equal([(0, 1, false), (0, 2, true)], mesh.Wire.Select(w => (w.From, w.To, w.Sleeve)).Order());
        Assert.All(mesh.Wire, w => Assert.Equal(!w.Sleeve, InClear(w.Datagram)));
        List<byte[]>[] written = mesh.TakeWritten();
        Assert.Equal([flood], written[1]);
        Assert.Equal([flood], written[2]);
    }

    [Fact]
    public void PlaintextVxlan_AcceptedFromTheTrustedNeighbour_RefusedFromTheSealingOne()
    {
        using var mesh = TrustedPairInSealedMesh();
        Forwarder receiver = mesh.Nodes[0].Forwarder;
        byte[] fromTrusted = Frames.Ethernet(Frames.Broadcast, Mac1, payloadBytes: 100);
        byte[] fromSealing = Frames.Ethernet(Frames.Broadcast, Mac2, payloadBytes: 100);

        mesh.Inject(1, 0, Frames.Vxlan(Vni, fromTrusted), sleeve: false);
        mesh.Inject(2, 0, Frames.Vxlan(Vni, fromSealing), sleeve: false);

        Assert.Equal([fromTrusted], mesh.TakeWritten()[0]);
        Assert.Equal(1, receiver.Counters.DropsPlaintextRefused);
        Assert.Equal(1, receiver.Macs.Count); // Mac1 learned, Mac2 not
        Assert.True(receiver.Plan.TryGetRoute(mesh.Nodes[1].Name, out PeerRoute route) && route.Encapsulation == Encapsulation.Vxlan);
        Assert.True(receiver.Plan.TryGetRoute(mesh.Nodes[2].Name, out route) && route.Encapsulation != Encapsulation.Vxlan);
    }

    [Fact]
    public void PlaintextSleeve_AcceptedFromTheTrustedNeighbour_SealedSleeveFromIt_Refused()
    {
        using var mesh = TrustedPairInSealedMesh();
        byte[] frame = Frames.Ethernet(Frames.Broadcast, Mac1, payloadBytes: 100);
        byte[] plain = new byte[SleeveHeader.SizeBytes + frame.Length];
        new SleeveHeader(SleeveKind.Unicast, mesh.Nodes[1].Name, mesh.Nodes[0].Name).Write(plain);
        frame.CopyTo(plain, SleeveHeader.SizeBytes);
        byte[] claimsSealed = (byte[])plain.Clone();
        new SleeveHeader(SleeveKind.Unicast, mesh.Nodes[1].Name, mesh.Nodes[0].Name, Sealed: true).Write(claimsSealed);

        mesh.Inject(1, 0, plain, sleeve: true);
        mesh.Inject(1, 0, claimsSealed, sleeve: true);

        Assert.Equal([frame], mesh.TakeWritten()[0]);
        Assert.Equal(1, mesh.Nodes[0].Forwarder.Counters.SleeveDropsSealMismatch);
    }

    [Fact]
    public void Relay_BetweenATrustedHopAndASealedHop_OpensOrSealsPerHop()
    {
        // A chain 0 – 1 – 2: 0 and 1 trust each other, 1 and 2 do not.
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)], sealedLinks: true, trustedLinks: [(0, 1)]);
        byte[] flood = Frames.Ethernet(Frames.Broadcast, Mac2, payloadBytes: 300, fill: Pattern);
        mesh.FromBridge(2, flood); // sealed to 1, relayed by 1 to 0 in clear

        Assert.Equal([(2, 1, true), (1, 0, true)], mesh.Wire.Select(w => (w.From, w.To, w.Sleeve)));
        Assert.Equal([false, true], mesh.Wire.Select(w => InClear(w.Datagram)));
        Assert.Equal([flood], mesh.TakeWritten()[0]);
        mesh.Wire.Clear();
        byte[] unicast = Frames.Ethernet(Mac2, Mac0, payloadBytes: 1000, fill: Pattern);

        mesh.FromBridge(0, unicast); // plain sleeve to 1, sealed by 1 for 2

        Assert.Equal([(0, 1, true), (1, 2, true)], mesh.Wire.Select(w => (w.From, w.To, w.Sleeve)));
        Assert.Equal([true, false], mesh.Wire.Select(w => InClear(w.Datagram)));
        Assert.Equal(unicast.Length + SleeveHeader.SizeBytes, mesh.Wire[0].Datagram.Length);
        Assert.Equal(unicast.Length + SleeveHeader.SealedOverheadBytes, mesh.Wire[1].Datagram.Length);
        Assert.Equal([unicast], mesh.TakeWritten()[2]);
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Counters.SleeveRelayed);
        CryptoCounters crypto = mesh.Nodes[2].Forwarder.SealingCounters;
        Assert.Equal(0, crypto.AuthenticationFailures + crypto.Replays);
    }

    [Fact]
    public void Heartbeats_BothPortsInClearToTheTrustedNeighbour_SealedSleeveToTheOther_AllPathsHealthy()
    {
        using var mesh = TrustedPairInSealedMesh();
        long now = TimeProvider.System.GetTimestamp();

        mesh.Heartbeats(now);
        mesh.Heartbeats(now + TimeProvider.System.TimestampFrequency);

        var between01 = mesh.Wire.Where(w => (w.From, w.To) is (0, 1) or (1, 0)).ToList();
        Assert.Contains(between01, w => !w.Sleeve);
        Assert.All(between01.Where(w => w.Sleeve), w => Assert.Equal(HeartbeatBody.SleeveDatagramBytes, w.Datagram.Length));
        var sealedOnes = mesh.Wire.Where(w => w.From == 2 || w.To == 2).ToList();
        Assert.NotEmpty(sealedOnes);
        Assert.All(sealedOnes, w => Assert.True(w.Sleeve));
        Assert.All(sealedOnes, w => Assert.Equal(HeartbeatBody.SleeveDatagramBytes + RecordFormat.DatagramOverheadBytes, w.Datagram.Length));
        long timeout = (long)(Forwarder.HealthTimeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        foreach (DataPlaneMesh.Node node in mesh.Nodes)
        {
            Assert.All(node.Forwarder.Peers, peer => Assert.Equal(0, peer.Health.Missing(now + TimeProvider.System.TimestampFrequency, timeout)));
        }
        Assert.Equal(2, mesh.Nodes[0].Forwarder.Counters.HeartbeatsReceived); // VXLAN heartbeats from 1 only
    }
}

using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Gossip.Routing;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// Forwarders on the kernel path (<see cref="DataPlaneMesh"/> with <c>kernelPath</c>): health from
/// probes through the kernels and the sleeve's heartbeats; what the routers send themselves goes by
/// sleeve, never VXLAN (the peer's kernel, not its router, would read it); a probe a pod could send
/// is refused.
/// </summary>
public sealed class ForwarderKernelPathTests : IDisposable
{
    private const ulong PodA = 0x02_00_00_00_0A_01;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(1));
    private readonly DataPlaneMesh _mesh;
    private readonly List<(int Node, bool Healthy, string Reason)> _reports = [];

    public ForwarderKernelPathTests()
    {
        _mesh = new DataPlaneMesh(2, [(0, 1)], _time, kernelPath: true);
        foreach (DataPlaneMesh.Node node in _mesh.Nodes)
        {
            node.Forwarder.DataPathHealthChanged += (_, healthy, reason) => _reports.Add((node.Index, healthy, reason));
        }
    }

    public void Dispose() => _mesh.Dispose();

    private void Run(TimeSpan duration) => _mesh.RunHeartbeats(_time, duration);

    private bool? LastVerdict(int node) => _reports.LastOrDefault(r => r.Node == node) is { Reason: not null } last ? last.Healthy : null;

    [Fact]
    public void ProbesAndSleeveHeartbeats_BothEndsHealthy_AndNoRouterSendsVxlan()
    {
        Run(TimeSpan.FromSeconds(1));

        Assert.True(LastVerdict(0));
        Assert.True(LastVerdict(1));
        Assert.All(_mesh.Wire, w => Assert.True(w.Sleeve)); // the routers' own datagrams: sleeve only
        ForwarderCounters counters = _mesh.Nodes[0].Forwarder.Counters;
        Assert.True(counters.ProbesReceived > 0);
        Assert.Equal(0, counters.DropsBadProbe + counters.ProbeSendFailures + counters.HeartbeatsReceived);
        Assert.True(_mesh.Nodes[0].Forwarder.Plan.TryGetNeighbour(_mesh.Nodes[1].Name, out DataPeer peer));
        Assert.Equal(("fastdp", (string?)null), _mesh.Nodes[0].Forwarder.OverlayOf(peer));
    }

    [Fact]
    public void Probe_IsAFrameToThePeersBridgeMac_CarryingTheConnectionUid()
    {
        _mesh.Nodes[0].Forwarder.SendHeartbeats(_time.GetTimestamp());

        Assert.True(_mesh.Nodes[0].Probes.Sent.TryPeek(out byte[]? probe));
        Assert.Equal(ProbeFrame.SizeBytes, probe.Length);
        Assert.Equal(BridgeMac.Of(_mesh.Nodes[1].Name), MacAddress48.Read(probe));
        Assert.Equal(BridgeMac.Of(_mesh.Nodes[0].Name), MacAddress48.Read(probe.AsSpan(6)));
        Assert.True(ProbeFrame.TryRead(probe, out ReadOnlySpan<byte> body, out ulong uid));
        Assert.Equal(DataPlaneMesh.ConnectionUid(0, 1), uid);
        Assert.True(HeartbeatBody.TryRead(body, out PeerName from, out PeerName to, out _));
        Assert.Equal((_mesh.Nodes[0].Name, _mesh.Nodes[1].Name), (from, to));
    }

    [Fact]
    public void FramesFromTheBridge_ToAKernelPathPeer_GoBySleeve_AndReachItsBridge()
    {
        Run(TimeSpan.FromSeconds(1));
        _mesh.Wire.Clear();

        _mesh.FromBridge(0, Frames.Ethernet(MacAddress48.Max, PodA)); // a flood: its router must see it, to learn PodA
        Assert.NotEmpty(_mesh.Wire);
        Assert.All(_mesh.Wire, w => Assert.True(w.Sleeve));
        Assert.Single(_mesh.TakeWritten()[1]);
        Assert.Equal(_mesh.Nodes[0].Name, _mesh.Nodes[1].Forwarder.Macs.Lookup(PodA));
    }

    [Fact]
    public void ProbesBlockedOneWay_UnhealthyAfterTheTimeout_NamingTheVxlanPort_ThenBack()
    {
        Run(TimeSpan.FromSeconds(1));
        _mesh.Drop = h => h.From == 1 && !h.Sleeve; // node 1's kernel path to node 0 is cut

        Run(Forwarder.HealthTimeout + TimeSpan.FromSeconds(1));
        Assert.False(LastVerdict(0));
        Assert.Contains("none from its VXLAN port 6784", _reports.Last(r => r.Node == 0).Reason, StringComparison.Ordinal);
        Assert.False(LastVerdict(1)); // node 0 says it no longer hears node 1
        Assert.True(_mesh.Nodes[0].Forwarder.Plan.TryGetNeighbour(_mesh.Nodes[1].Name, out DataPeer peer));
        Assert.Equal("sleeve", _mesh.Nodes[0].Forwarder.OverlayOf(peer).Overlay);

        _mesh.Drop = null;
        Run(TimeSpan.FromSeconds(2));
        Assert.True(LastVerdict(0));
        Assert.True(LastVerdict(1));
    }

    [Fact]
    public void ForgedProbes_AreCountedAndChangeNothing()
    {
        Forwarder receiver = _mesh.Nodes[0].Forwarder;
        PeerName sender = _mesh.Nodes[1].Name;
        long now = _time.GetTimestamp();
        byte[] frame = new byte[ProbeFrame.SizeBytes];
        ulong uid = DataPlaneMesh.ConnectionUid(0, 1);
        void Write(PeerName from, ulong withUid) =>
            ProbeFrame.Write(frame, BridgeMac.Of(receiver.Self), BridgeMac.Of(from), from, receiver.Self, HeartbeatBody.HeardVxlan, withUid);

        Write(sender, uid ^ 1); // a pod guessing the uid
        Assert.False(receiver.ReceiveProbe(frame, now));
        Write(TopologyBuilder.Name(7), uid); // no such neighbour
        Assert.False(receiver.ReceiveProbe(frame, now));
        Write(sender, uid);
        Assert.False(receiver.ReceiveProbe(frame.AsSpan(0, 30), now)); // cut short
        frame[12] = 0x08; // not the probe EtherType
        Assert.False(receiver.ReceiveProbe(frame, now));
        Write(sender, uid);
        frame[14 + 12] = 0x80; // an unknown heartbeat flag
        Assert.False(receiver.ReceiveProbe(frame, now));

        Assert.Equal(5, receiver.Counters.DropsBadProbe);
        Assert.Equal(0, receiver.Counters.ProbesReceived);
        Assert.True(receiver.Plan.TryGetNeighbour(sender, out DataPeer peer));
        Assert.Equal(0, peer.Health.HeardVxlanAt);

        Write(sender, uid);
        Assert.True(receiver.ReceiveProbe(frame, now));
        Assert.Equal(now, peer.Health.HeardVxlanAt);
    }

    [Fact]
    public void ProbeTheDeviceRefuses_IsCounted_AndTheSleeveHeartbeatStillGoes()
    {
        _mesh.Nodes[0].Probes.Failure = new LinuxError("sendto AF_PACKET", 100);

        int sent = _mesh.Nodes[0].Forwarder.SendHeartbeats(_time.GetTimestamp());

        Assert.Equal(1, sent);
        Assert.Equal(1, _mesh.Nodes[0].Forwarder.Counters.ProbeSendFailures);
    }

    [Fact]
    public void ProbeWithoutAProbePort_OnTheVxlanPath_IsNeverSent()
    {
        using var plain = new DataPlaneMesh(2, [(0, 1)], _time);
        plain.Heartbeats(_time.GetTimestamp());
        Assert.Empty(plain.Nodes[0].Probes.Sent);
        Assert.Contains(plain.Wire, w => !w.Sleeve); // zero-MAC VXLAN heartbeats as before
    }
}

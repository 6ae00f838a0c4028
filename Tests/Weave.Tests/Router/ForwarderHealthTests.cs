using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Gossip.Routing;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// UDP path health between forwarders (<see cref="DataPlaneMesh"/> under a fake clock): heartbeats
/// on both ports, healthy only when both ends heard each other on both, unhealthy after 5 s of
/// silence on either port, with the reason; heartbeats never reach the bridge.
/// </summary>
public sealed class ForwarderHealthTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(1));
    private readonly DataPlaneMesh _mesh;
    private readonly List<(int Node, PeerName Peer, bool Healthy, string Reason)> _reports = [];

    public ForwarderHealthTests()
    {
        _mesh = new DataPlaneMesh(2, [(0, 1)], _time);
        foreach (DataPlaneMesh.Node node in _mesh.Nodes)
        {
            node.Forwarder.DataPathHealthChanged += (peer, healthy, reason) => _reports.Add((node.Index, peer.Name, healthy, reason));
        }
    }

    public void Dispose() => _mesh.Dispose();

    /// <summary>Heartbeat rounds every 100 ms for <paramref name="duration"/>.</summary>
    private void Run(TimeSpan duration)
    {
        for (TimeSpan t = TimeSpan.Zero; t < duration; t += TimeSpan.FromMilliseconds(100))
        {
            _mesh.Heartbeats(_time.GetTimestamp());
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }
    }

    private bool? LastVerdict(int node) => _reports.LastOrDefault(r => r.Node == node) is { Peer: var p } last && p != default ? last.Healthy : null;

    [Fact]
    public void Heartbeats_BothWaysOnBothPorts_BothEndsHealthyWithinASecond()
    {
        Run(TimeSpan.FromSeconds(1));
        Assert.True(LastVerdict(0));
        Assert.True(LastVerdict(1));
        Assert.All(_mesh.TakeWritten(), w => Assert.Empty(w)); // heartbeats never reach the bridge
        Assert.Contains(_mesh.Hops, h => h.Sleeve);
        Assert.Contains(_mesh.Hops, h => !h.Sleeve);
        ForwarderCounters counters = _mesh.Nodes[0].Forwarder.Counters;
        Assert.True(counters.HeartbeatsReceived > 0 && counters.SleeveHeartbeatsReceived > 0);
        Assert.Equal(0, counters.DropsBadHeartbeat + counters.SleeveDropsBadHeartbeat + counters.DropsBadHeader + counters.SleeveDropsBadHeader);
    }

    [Fact]
    public void Heartbeats_BeforeHealthyEveryHalfSecond_ThenEveryTwoSeconds()
    {
        _mesh.Heartbeats(_time.GetTimestamp());
        long first = _mesh.Nodes[0].Forwarder.Counters.HeartbeatsSent;
        Assert.Equal(2, first); // one per port
        _time.Advance(TimeSpan.FromMilliseconds(400));
        _mesh.Heartbeats(_time.GetTimestamp());
        Assert.Equal(first, _mesh.Nodes[0].Forwarder.Counters.HeartbeatsSent);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        _mesh.Heartbeats(_time.GetTimestamp());
        Assert.Equal(first + 2, _mesh.Nodes[0].Forwarder.Counters.HeartbeatsSent);

        Run(TimeSpan.FromSeconds(2)); // healthy by now
        long before = _mesh.Nodes[0].Forwarder.Counters.HeartbeatsSent;
        Run(TimeSpan.FromSeconds(20));
        long perPort = (_mesh.Nodes[0].Forwarder.Counters.HeartbeatsSent - before) / 2;
        Assert.Equal(2.0, Forwarder.HeartbeatIntervalHealthy.TotalSeconds);
        Assert.Equal(10, perPort); // 20 s at one per 2 s
    }

    [Theory]
    [InlineData(false, "none from its VXLAN port 6784")]
    [InlineData(true, "none from its sleeve port 6783")]
    public void OnePortBlockedOneWay_UnhealthyAfterTimeoutWithReason_HealthyAgainWhenItComesBack(bool sleeve, string reason)
    {
        Run(TimeSpan.FromSeconds(1));
        Assert.True(LastVerdict(0));

        _mesh.Drop = h => h.From == 1 && h.Sleeve == sleeve; // node 0 no longer hears node 1 on one port
        Assert.Equal(10.0, Forwarder.HealthTimeout.TotalSeconds);
        Run(TimeSpan.FromSeconds(8));
        Assert.True(LastVerdict(0)); // within the 10 s timeout
        Run(TimeSpan.FromSeconds(4));
        var report = _reports.Last(r => r.Node == 0);
        Assert.False(report.Healthy);
        Assert.Contains(reason, report.Reason, StringComparison.Ordinal);
        Assert.False(LastVerdict(1)); // and node 1 hears that node 0 no longer hears it

        _mesh.Drop = null;
        Run(TimeSpan.FromSeconds(2));
        Assert.True(LastVerdict(0));
        Assert.True(LastVerdict(1));
    }

    [Fact]
    public void SendHeartbeats_SteadyHealthyState_AllocatesNothing()
    {
        Run(TimeSpan.FromSeconds(2));
        DataPlaneMesh.Node node = _mesh.Nodes[0];
        node.Vxlan.Record = false;
        node.Sleeve.Record = false;
        // Calls 1 ms apart, a second per round, four rounds at most: inside the 10 s timeout however
        // late the peer's last heartbeat came, so the verdict stays and nothing is reported.
        long step = _time.TimestampFrequency / 1000;
        long now = _time.GetTimestamp();
        node.Forwarder.SendHeartbeats(now);
        var rounds = new List<long>();
        long sentBefore = node.Forwarder.Counters.HeartbeatsSent;
        for (int round = 0; round < 4 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                now += step;
                node.Forwarder.SendHeartbeats(now);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(rounds[^1] == 0, $"bytes allocated per second of heartbeats: {string.Join(", ", rounds)}");
        Assert.Single(node.Forwarder.Plan.Neighbours);
        Assert.InRange(node.Forwarder.Counters.HeartbeatsSent - sentBefore, rounds.Count - 2, rounds.Count + 2); // once per 2 s, two ports
    }

    [Fact]
    public void Heartbeat_NamingAnotherPeer_DroppedAsBad()
    {
        DataPlaneMesh.Node node = _mesh.Nodes[0];
        var datagrams = new PacketBatch(2, allocateBuffers: true);
        byte[] sleeve = new byte[HeartbeatBody.SleeveDatagramBytes];
        new SleeveHeader(SleeveKind.Heartbeat, TopologyBuilder.Name(1), node.Name).Write(sleeve);
        HeartbeatBody.Write(sleeve.AsSpan(SleeveHeader.SizeBytes), TopologyBuilder.Name(7), node.Name, HeartbeatBody.HeardSleeve);
        sleeve.CopyTo(datagrams.Buffers[0], 0);
        datagrams.Lengths[0] = sleeve.Length;
        datagrams.Endpoints[0] = _mesh.Nodes[1].AsPeer.SleeveAddress;
        datagrams.Count = 1;
        node.Forwarder.ForwardFromSleeve(datagrams);

        byte[] vxlan = new byte[HeartbeatBody.VxlanDatagramBytes];
        VxlanHeader.Write(vxlan, 6783);
        HeartbeatBody.Write(vxlan.AsSpan(VxlanHeader.SizeBytes + EthernetFrame.HeaderSizeBytes), TopologyBuilder.Name(1), TopologyBuilder.Name(7), 0);
        vxlan.CopyTo(datagrams.Buffers[0], 0);
        datagrams.Lengths[0] = vxlan.Length;
        datagrams.Endpoints[0] = _mesh.Nodes[1].AsPeer.Address;
        node.Forwarder.ForwardFromVxlan(datagrams);

        Assert.Equal(1, node.Forwarder.Counters.SleeveDropsBadHeartbeat);
        Assert.Equal(1, node.Forwarder.Counters.DropsBadHeartbeat);
        Assert.Equal(0, _mesh.Nodes[1].AsPeer.Health.HeardSleeveAt + _mesh.Nodes[1].AsPeer.Health.HeardVxlanAt);
        Assert.Equal(0, node.Tap.PendingWritten);
    }
}

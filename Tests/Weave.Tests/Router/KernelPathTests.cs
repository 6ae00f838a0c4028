using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Router.DataPlane.Kernel;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// One pass of the kernel path over forwarders on the kernel path (<see cref="DataPlaneMesh"/>):
/// MACs the router learned behind a neighbour whose path is healthy are pinned to its host; the
/// neighbour's bridge MAC gets a device entry for probes; a path judged bad withdraws its pins at
/// once; the filter is told the hosts to admit.
/// </summary>
public sealed class KernelPathTests : IDisposable
{
    private const ulong PodOfNode1 = 0x02_00_00_00_01_01;
    private const int Vxlan = 5;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(1));
    private readonly DataPlaneMesh _mesh;
    private readonly ModelForwardingDatabase _fdb = new(Vxlan, 3);
    private readonly List<IReadOnlyCollection<IPAddress>> _admitted = [];
    private readonly KernelPath _path;

    public KernelPathTests()
    {
        _mesh = new DataPlaneMesh(2, [(0, 1)], _time, kernelPath: true);
        Forwarder forwarder = _mesh.Nodes[0].Forwarder;
        var keeper = new KernelFdbKeeper(_fdb, Vxlan, 3, 4, forwarder.Ticks(KernelPath.Grace));
        _path = new KernelPath(forwarder, new RecordingFramePort(), keeper, _admitted.Add, _time, NullLogger.Instance);
    }

    public void Dispose()
    {
        _path.Dispose();
        _mesh.Dispose();
    }

    private void Run(TimeSpan duration) => _mesh.RunHeartbeats(_time, duration);

    private IPAddress Host1 => _mesh.Nodes[1].VxlanEndPoint.Address;

    [Fact]
    public void HealthyNeighbour_ItsLearnedMacsPinned_ItsBridgeMacGetsAnEntry_AndItsHostIsAdmitted()
    {
        Run(TimeSpan.FromSeconds(1));
        _mesh.FromBridge(1, Frames.Ethernet(MacAddress48.Max, PodOfNode1)); // node 0 learns the pod behind node 1

        _path.Pass(_time.GetTimestamp());

        Assert.Equal([PodOfNode1], _fdb.Pins);
        Assert.Equal(Host1, _fdb.Remotes[PodOfNode1]);
        Assert.Equal(Host1, _fdb.Remotes[BridgeMac.Of(_mesh.Nodes[1].Name)]);
        Assert.Equal([Host1], Assert.Single(_admitted));
        Assert.Equal(1, _path.Report.Peers);
        Assert.Equal(1, _path.Report.PinnedMacs);
    }

    [Fact]
    public void NewConnection_NotYetProven_PinsNothing_ButWithdrawsNothingEither()
    {
        _mesh.FromBridge(1, Frames.Ethernet(MacAddress48.Max, PodOfNode1));
        _fdb.AddRemote(PodOfNode1, Host1);
        _fdb.AddFdb(FdbEntry.BridgePin(Vxlan, PodOfNode1), append: false); // from before a restart

        _path.Pass(_time.GetTimestamp());

        Assert.Equal([PodOfNode1], _fdb.Pins); // kept while the new connection proves itself
        Assert.Equal(0, _path.Report.Peers);
    }

    [Fact]
    public void PathJudgedBad_PinsWithdrawnAtOnce_BackWhenItHeals()
    {
        Run(TimeSpan.FromSeconds(1));
        _mesh.FromBridge(1, Frames.Ethernet(MacAddress48.Max, PodOfNode1));
        _path.Pass(_time.GetTimestamp());
        Assert.Single(_fdb.Pins);

        _mesh.Drop = h => !h.Sleeve; // the kernel path is cut both ways
        Run(Forwarder.HealthTimeout + TimeSpan.FromSeconds(1));
        _path.Pass(_time.GetTimestamp());
        Assert.Empty(_fdb.Pins); // its pods' frames go by the router (sleeve) now
        Assert.True(_fdb.Remotes.ContainsKey(BridgeMac.Of(_mesh.Nodes[1].Name))); // probes still go

        _mesh.Drop = null;
        Run(TimeSpan.FromSeconds(2));
        _mesh.FromBridge(1, Frames.Ethernet(MacAddress48.Max, PodOfNode1));
        _path.Pass(_time.GetTimestamp());
        Assert.Equal([PodOfNode1], _fdb.Pins);
    }

    [Fact]
    public void ConnectionClosed_PinsKept_UntilAnotherPeerRelaysToIt()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2), (0, 2)], _time, kernelPath: true);
        Forwarder forwarder = mesh.Nodes[0].Forwarder;
        var fdb = new ModelForwardingDatabase(Vxlan, 3);
        var keeper = new KernelFdbKeeper(fdb, Vxlan, 3, 4, forwarder.Ticks(KernelPath.Grace));
        using var path = new KernelPath(forwarder, new RecordingFramePort(), keeper, null, _time, NullLogger.Instance);
        mesh.RunHeartbeats(_time, TimeSpan.FromSeconds(1));
        const ulong podOfNode2 = 0x02_00_00_00_02_01;
        mesh.FromBridge(2, Frames.Ethernet(MacAddress48.Max, podOfNode2));
        path.Pass(_time.GetTimestamp());
        Assert.Equal([podOfNode2], fdb.Pins);

        forwarder.RemovePeer(mesh.Nodes[2].Name); // node 2's router went away: no other way to it yet
        path.Pass(_time.GetTimestamp());
        Assert.Equal([podOfNode2], fdb.Pins);

        var topology = new Weave.Tests.Gossip.Routing.TopologyBuilder();
        for (int i = 0; i < 3; i++)
        {
            topology.Peer(i);
        }
        topology.Link(0, 1).Link(1, 2);
        forwarder.SetRoutes(Weave.Gossip.Routing.RouteTable.Compute(forwarder.Self, topology.Build(), establishedAndSymmetric: true));
        Assert.True(forwarder.Plan.TryGetRoute(mesh.Nodes[2].Name, out _)); // now through node 1
        path.Pass(_time.GetTimestamp());
        Assert.Empty(fdb.Pins);
    }
}

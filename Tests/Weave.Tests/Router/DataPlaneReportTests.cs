using System.Reflection;
using System.Text.Json;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Router.Api;
using Weave.Router.DataPlane;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>The data plane in <c>/report</c>: routes with their encapsulation, and every counter.</summary>
public sealed class DataPlaneReportTests
{
    [Fact]
    public void Snapshot_ListsEveryCounterWithItsValue()
    {
        var counters = new ForwarderCounters();
        FieldInfo[] fields = typeof(ForwarderCounters).GetFields(BindingFlags.Public | BindingFlags.Instance);
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i].SetValue(counters, (long)(i + 1));
        }
        var snapshot = counters.Snapshot().ToDictionary(c => c.Name, c => c.Value);
        Assert.Equal(fields.Length, snapshot.Count);
        for (int i = 0; i < fields.Length; i++)
        {
            Assert.Equal(i + 1, snapshot[fields[i].Name]);
        }
    }

    [Fact]
    public void Report_OfAChain_ShowsSleeveThroughTheMiddleAndCounters()
    {
        using var mesh = new DataPlaneMesh(3, [(0, 1), (1, 2)]);
        mesh.FromBridge(0, Frames.Ethernet(Frames.Broadcast, 0x0200_0000_0001));
        DataPlaneReport report = mesh.Nodes[0].Forwarder.Report();

        var routes = report.Routes.ToDictionary(r => r.Peer);
        Assert.Equal(("vxlan", mesh.Nodes[1].AsPeer.Display), (routes[mesh.Nodes[1].Name.ToString()].Encapsulation, routes[mesh.Nodes[1].Name.ToString()].Via));
        Assert.Equal(("sleeve", mesh.Nodes[1].AsPeer.Display), (routes[mesh.Nodes[2].Name.ToString()].Encapsulation, routes[mesh.Nodes[2].Name.ToString()].Via));

        var identity = new PeerIdentity(mesh.Nodes[0].Name, "host0", 1);
        string json = ReportJson.Render(new RouterInfo("1.0.0", "1..1"), new MeshStatus(identity, [], [], []), null, report);
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement dataPlane = document.RootElement.GetProperty("DataPlane");
        Assert.Equal(2, dataPlane.GetProperty("Routes").GetArrayLength());
        Assert.Equal(1, dataPlane.GetProperty("Counters").GetProperty("SleeveFramesFromBridge").GetInt64());
        Assert.Equal(0, dataPlane.GetProperty("MACs").GetInt32());
        Assert.Equal(1, mesh.Nodes[1].Forwarder.Report().Counters.Single(c => c.Name == "SleeveFloodsRelayed").Value);
    }
}

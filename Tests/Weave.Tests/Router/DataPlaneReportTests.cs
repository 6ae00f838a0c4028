using System.Reflection;
using System.Text.Json;
using Weave.Gossip.Mesh;
using Weave.Gossip;
using Weave.Linux;
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
        // What the two receiving paths delivered is kept by their bridge writers and read through properties.
        long next = fields.Length;
        foreach (TapWriterCounters delivery in new[] { counters.VxlanDelivery, counters.SleeveDelivery })
        {
            delivery.Written = ++next;
            delivery.Refused = ++next;
            delivery.Coalesced = ++next;
        }
        PropertyInfo[] delivered = [.. typeof(ForwarderCounters).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.PropertyType == typeof(long))];
        var snapshot = counters.Snapshot().ToDictionary(c => c.Name, c => c.Value);
        Assert.Equal(fields.Length + delivered.Length, snapshot.Count);
        for (int i = 0; i < fields.Length; i++)
        {
            Assert.Equal(i + 1, snapshot[fields[i].Name]);
        }
        Assert.Equal(6, delivered.Length);
        Assert.Equal(delivered.Length, delivered.Select(p => (long)p.GetValue(counters)!).Where(v => v > fields.Length).Distinct().Count());
        foreach (PropertyInfo property in delivered)
        {
            Assert.Equal((long)property.GetValue(counters)!, snapshot[property.Name]);
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

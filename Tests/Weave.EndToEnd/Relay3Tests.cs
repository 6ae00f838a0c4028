using System.Text.Json;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Three hosts in a chain without discovery (host1 – host2 – host3; host1 and host3 never
/// connect): pods on the ends reach each other through host2's router, which relays their
/// frames in our sleeve format, as /report shows.
/// </summary>
public sealed class Relay3Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(30);

    [RootFact]
    public void ChainWithoutDiscovery_EndPodsPingThroughTheMiddleRouter()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(3, output.WriteLine);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1], host3 = lab.Hosts[2];
        LabProcess[] routers =
        [
            host1.StartRouter("--no-discovery", host2.UnderlayAddress.ToString()),
            host2.StartRouter("--no-discovery"),
            host3.StartRouter("--no-discovery", host2.UnderlayAddress.ToString()),
        ];
        string Diagnostics() => string.Join("\n", routers.Select((r, i) => $"router{i + 1}{(r.HasExited ? $" exited {r.ExitCode}" : "")}:\n{r.Output}"));

        // host2 has both connections established (data paths healthy); the ends have only host2.
        Assert.True(Eventually.True(() => EstablishedRows(host2) == 2 && EstablishedRows(host1) == 1 && EstablishedRows(host3) == 1, s_within),
            $"the chain did not establish.\n{host2.RunWeave("status", "connections")}\n{Diagnostics()}");
        LabPod pod1 = host1.AddPod("pod1", "10.32.0.1/12");
        LabPod pod3 = host3.AddPod("pod3", "10.32.0.3/12");

        Assert.True(pod1.WaitForPing(pod3.Address, s_within), $"pod1 got no reply from pod3.\n{pod1.Ping(pod3.Address)}\n{Diagnostics()}");
        Assert.True(pod3.WaitForPing(pod1.Address, s_within), $"pod3 got no reply from pod1.\n{Diagnostics()}");

        using JsonDocument middle = Report(host2);
        JsonElement counters = middle.RootElement.GetProperty("DataPlane").GetProperty("Counters");
        Assert.True(counters.GetProperty("SleeveRelayed").GetInt64() > 0, $"host2 relayed no unicast:\n{middle.RootElement}");
        Assert.True(counters.GetProperty("SleeveFloodsRelayed").GetInt64() > 0, $"host2 relayed no flood (ARP):\n{middle.RootElement}");
        Assert.Equal(0, counters.GetProperty("SleeveDropsBadHeader").GetInt64());

        using JsonDocument end = Report(host1);
        JsonElement route = end.RootElement.GetProperty("DataPlane").GetProperty("Routes").EnumerateArray()
            .Single(r => r.GetProperty("Peer").GetString() == host3.PeerName);
        Assert.Equal("sleeve", route.GetProperty("Encapsulation").GetString());
        Assert.StartsWith(host2.PeerName, route.GetProperty("Via").GetString(), StringComparison.Ordinal);
    }

    private static int EstablishedRows(LabHost host)
    {
        CommandResult result = host.RunWeave("status", "connections");
        return result.ExitCode == 0 ? MeshStatusText.Connections(result.Stdout).Count(r => r.Established) : -1;
    }

    private static JsonDocument Report(LabHost host)
    {
        using var api = new RouterApi(host);
        RouterApi.Reply reply = api.Get("/report");
        Assert.True(reply.Ok, reply.ToString());
        return JsonDocument.Parse(reply.Body);
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Weave.Lab;
using Xunit;

namespace Weave.EndToEnd;

/// <summary>
/// Three simulated hosts with a router and <see cref="PodsPerHost"/> pods each, pods at
/// 10.32.H.P/12. Either a full mesh (host2 and host3 dial host1; discovery joins host2 and host3)
/// or a chain host1 – host2 – host3 without discovery, so host1 and host3 reach each other only
/// through host2.
/// </summary>
internal sealed class ThreeHostOverlay : IDisposable
{
    public const int PodsPerHost = 2;

    /// <summary>How long routers get to connect, find a path, or recover one.</summary>
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private readonly LabProcess[] _routers = new LabProcess[3];
    private readonly List<LabPod> _pods = [];

    private ThreeHostOverlay(NetLab lab, bool chain)
    {
        Lab = lab;
        Chain = chain;
    }

    public NetLab Lab { get; }

    public bool Chain { get; }

    public IReadOnlyList<LabHost> Hosts => Lab.Hosts;

    public IReadOnlyList<LabPod> Pods => _pods;

    public LabProcess Router(int host) => _routers[host];

    /// <summary>The first pod of host <paramref name="host"/> (0-based).</summary>
    public LabPod PodOn(int host) => _pods[host * PodsPerHost];

    public static ThreeHostOverlay StartFullMesh(Action<string> log) => Start(log, chain: false);

    public static ThreeHostOverlay StartChain(Action<string> log) => Start(log, chain: true);

    private static ThreeHostOverlay Start(Action<string> log, bool chain)
    {
        var overlay = new ThreeHostOverlay(NetLab.Create(3, log), chain);
        try
        {
            LabHost h1 = overlay.Hosts[0], h2 = overlay.Hosts[1], h3 = overlay.Hosts[2];
            string[] noDiscovery = chain ? ["--no-discovery"] : [];
            overlay._routers[0] = h1.StartRouter(noDiscovery);
            overlay._routers[1] = h2.StartRouter([.. noDiscovery, h1.UnderlayAddress.ToString()]);
            overlay._routers[2] = h3.StartRouter([.. noDiscovery, (chain ? h2 : h1).UnderlayAddress.ToString()]);
            for (int h = 0; h < 3; h++)
            {
                overlay.WaitForBridge(h);
            }
            for (int h = 0; h < 3; h++)
            {
                for (int p = 0; p < PodsPerHost; p++)
                {
                    string cidr = string.Create(CultureInfo.InvariantCulture, $"10.32.{h + 1}.{p + 1}/12");
                    overlay._pods.Add(overlay.Hosts[h].AddPod(string.Create(CultureInfo.InvariantCulture, $"p{h + 1}x{p + 1}"), cidr));
                }
            }
            overlay.WaitForLinks();
            return overlay;
        }
        catch
        {
            overlay.Dispose();
            throw;
        }
    }

    /// <summary>The pairs of hosts (0-based) that have a direct connection.</summary>
    public IEnumerable<(int A, int B)> Links => Chain ? [(0, 1), (1, 2)] : [(0, 1), (0, 2), (1, 2)];

    /// <summary>Fails unless <paramref name="from"/> gets a ping reply from <paramref name="to"/> within <see cref="Within"/>.</summary>
    public void AssertReaches(LabPod from, LabPod to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        Assert.True(from.WaitForPing(to.Address, Within),
            $"{from.Name} got no ping reply from {to.Name} ({to.Address}) within {Within}.\n{from.Ping(to.Address)}\n{Diagnostics()}");
    }

    /// <summary>The state of host <paramref name="from"/>'s connection to host <paramref name="to"/> in <c>weave status connections</c>, or null.</summary>
    public string? ConnectionState(int from, int to)
    {
        CommandResult result = Hosts[from].RunWeave("status", "connections");
        if (!result.Succeeded)
        {
            return null;
        }
        LabHost target = Hosts[to];
        return MeshStatusText.Connections(result.Stdout)
            .FirstOrDefault(r => r.IsTo(target.Name, target.UnderlayAddress.ToString()))?.State;
    }

    /// <summary>Host <paramref name="host"/>'s <c>GET /report</c>.</summary>
    public JsonDocument Report(int host)
    {
        using var api = new RouterApi(Hosts[host]);
        RouterApi.Reply reply = api.Get("/report");
        Assert.True(reply.Ok, reply.ToString());
        return JsonDocument.Parse(reply.Body);
    }

    /// <summary>A data-plane counter from host <paramref name="host"/>'s report.</summary>
    public long Counter(int host, string name)
    {
        using JsonDocument report = Report(host);
        return report.RootElement.GetProperty("DataPlane").GetProperty("Counters").GetProperty(name).GetInt64();
    }

    /// <summary>How host <paramref name="from"/> sends to host <paramref name="to"/>'s peer: (<c>vxlan</c> or <c>sleeve</c>, the next hop's name), or null when it has no route.</summary>
    public (string Encapsulation, string Via)? Route(int from, int to)
    {
        using JsonDocument report = Report(from);
        foreach (JsonElement route in report.RootElement.GetProperty("DataPlane").GetProperty("Routes").EnumerateArray())
        {
            if (route.GetProperty("Peer").GetString() == Hosts[to].PeerName)
            {
                return (route.GetProperty("Encapsulation").GetString() ?? "", route.GetProperty("Via").GetString() ?? "");
            }
        }
        return null;
    }

    /// <summary>Every router's status, connections and output, for failure messages.</summary>
    public string Diagnostics()
    {
        var text = new StringBuilder();
        for (int h = 0; h < 3; h++)
        {
            LabProcess? router = _routers[h];
            if (router is null)
            {
                continue;
            }
            text.Append("router").Append(h + 1).Append(router.HasExited ? $" exited {router.ExitCode}" : " running").Append(":\n");
            if (!router.HasExited)
            {
                text.Append(Hosts[h].RunWeave("status", "connections").Stdout).Append('\n');
            }
            text.Append(router.Output).Append('\n');
        }
        return text.ToString();
    }

    public void Dispose() => Lab.Dispose();

    private void WaitForBridge(int host) =>
        Assert.True(Eventually.True(() => Hosts[host].Links().Contains(LabHost.Bridge) || _routers[host].HasExited, Within) && !_routers[host].HasExited,
            $"the router on {Hosts[host].Name} did not create the bridge {LabHost.Bridge}.\n{Diagnostics()}");

    /// <summary>Waits until every direct link shows established on both of its ends (TCP up and UDP heartbeats answered).</summary>
    private void WaitForLinks()
    {
        foreach ((int a, int b) in Links)
        {
            Assert.True(Eventually.True(() => ConnectionState(a, b) == "established" && ConnectionState(b, a) == "established", Within),
                $"host{a + 1} and host{b + 1} did not both show their connection established within {Within}.\n{Diagnostics()}");
        }
    }
}

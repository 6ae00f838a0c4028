using System.Net;
using System.Text;
using Weave.Lab;
using Xunit;

namespace Weave.EndToEnd;

/// <summary>
/// Two simulated hosts with a router each (host2 dials host1; host1's router listens on its
/// underlay address, <c>--host</c>, which also names its underlay link for the MTU) and one pod each
/// at 10.32.0.1/12 and 10.32.0.2/12 on the hosts' bridge <c>weave</c>.
/// </summary>
internal sealed class TwoHostOverlay : IDisposable
{
    /// <summary>How long routers get to create the bridge, connect, or reconnect.</summary>
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private readonly string[] _router2Args;

    private TwoHostOverlay(NetLab lab, string[] router2Args)
    {
        _router2Args = router2Args;
        Lab = lab;
        Host1 = lab.Hosts[0];
        Host2 = lab.Hosts[1];
    }

    public NetLab Lab { get; }

    public LabHost Host1 { get; }

    public LabHost Host2 { get; }

    public LabProcess Router1 { get; set; } = null!;

    public LabProcess Router2 { get; set; } = null!;

    public LabPod Pod1 { get; private set; } = null!;

    public LabPod Pod2 { get; private set; } = null!;

    /// <summary>Builds the lab (its underlay links of <paramref name="underlayMtu"/>), launches both
    /// routers (host2's with <paramref name="router2Args"/> too), waits for their bridges, then attaches the pods.</summary>
    public static TwoHostOverlay Start(Action<string> log, int underlayMtu = NetLab.DefaultUnderlayMtu, params string[] router2Args)
    {
        var overlay = new TwoHostOverlay(NetLab.Create(2, log, underlayMtu), router2Args);
        try
        {
            overlay.Router1 = overlay.StartRouter1();
            overlay.Router2 = overlay.StartRouter2();
            overlay.WaitForBridge(overlay.Host1, overlay.Router1);
            overlay.WaitForBridge(overlay.Host2, overlay.Router2);
            overlay.Pod1 = overlay.Host1.AddPod("pod1", "10.32.0.1/12");
            overlay.Pod2 = overlay.Host2.AddPod("pod2", "10.32.0.2/12");
            return overlay;
        }
        catch
        {
            overlay.Dispose();
            throw;
        }
    }

    public LabProcess StartRouter1() => Host1.StartRouter("--host", Host1.UnderlayAddress.ToString());

    public LabProcess StartRouter2() => Host2.StartRouter([Host1.UnderlayAddress.ToString(), .. _router2Args]);

    /// <summary>Fails unless each pod gets a ping reply from the other within <see cref="Within"/>.</summary>
    public void AssertPodsReachEachOther()
    {
        AssertReaches(Pod1, Pod2.Address);
        AssertReaches(Pod2, Pod1.Address);
    }

    public void AssertReaches(LabPod from, IPAddress to)
    {
        ArgumentNullException.ThrowIfNull(from);
        Assert.True(from.WaitForPing(to, Within),
            $"{from.Name} got no ping reply from {to} within {Within}.\n{from.Ping(to)}\n{Diagnostics()}");
    }

    /// <summary>Both routers' state and output, for failure messages.</summary>
    public string Diagnostics()
    {
        var text = new StringBuilder();
        foreach ((string name, LabProcess? router) in new[] { ("router1", Router1), ("router2", Router2) })
        {
            if (router is null)
            {
                continue;
            }
            text.Append(name).Append(router.HasExited ? $" exited {router.ExitCode}" : " running").Append(":\n")
                .Append(router.Output).Append('\n');
        }
        return text.ToString();
    }

    public void Dispose() => Lab.Dispose();

    private void WaitForBridge(LabHost host, LabProcess router) =>
        Assert.True(Eventually.True(() => host.Links().Contains(LabHost.Bridge) || router.HasExited, Within) && !router.HasExited,
            $"the router on {host.Name} did not create the bridge {LabHost.Bridge}.\n{Diagnostics()}");
}

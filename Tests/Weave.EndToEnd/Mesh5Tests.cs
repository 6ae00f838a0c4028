using System.Diagnostics;
using System.Text;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Five hosts, each router launched with only the previous host as its target (host1 with none):
/// discovery turns the chain into a full mesh; a killed router's links fail and its record goes;
/// restarted, it rejoins.
/// </summary>
public sealed class Mesh5Tests(ITestOutputHelper output)
{
    private const int HostCount = 5;
    private static readonly TimeSpan s_fullMeshWithin = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_deadLinksWithin = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_rejoinWithin = TimeSpan.FromSeconds(30);

    [RootFact]
    public void Chain_BecomesFullMesh_KilledRouterDropsOut_RestartedRouterRejoins()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(HostCount, output.WriteLine);
        var routers = new LabProcess[HostCount];
        for (int i = 0; i < HostCount; i++)
        {
            routers[i] = StartChained(lab, i);
        }

        // Full mesh: every host knows 5 peers and has an established connection to each other one.
        AssertEventually(lab, routers, s_fullMeshWithin, "a full mesh (Peers: 5, 4 established connections on every host)",
            (host, snapshot) => IsFullMesh(lab, host, snapshot, lab.Hosts));

        // A crash in the middle of the chain: host4 had host3 as its only target.
        LabHost victim = lab.Hosts[2];
        routers[2].Kill();
        LabHost[] survivors = [.. lab.Hosts.Where(h => h != victim)];
        AssertEventually(lab, routers, s_deadLinksWithin, $"no established connection to the killed {victim.Name}, and Peers: 4",
            (host, snapshot) => host == victim || (!HasEstablishedTo(snapshot, victim) && MeshStatusText.Peers(snapshot.Status) == HostCount - 1),
            survivors);
        // The survivors are still fully connected among themselves.
        foreach (LabHost host in survivors)
        {
            Snapshot snapshot = Snapshot.Of(host);
            Assert.True(IsFullMesh(lab, host, snapshot, survivors), $"{host.Name} lost survivors' connections:\n{snapshot}");
        }

        routers[2] = StartChained(lab, 2);
        AssertEventually(lab, routers, s_rejoinWithin, $"a full mesh again after {victim.Name}'s router restarted",
            (host, snapshot) => IsFullMesh(lab, host, snapshot, lab.Hosts));
    }

    /// <summary>host(i+1) with host(i) as its only target; host1 with none.</summary>
    private static LabProcess StartChained(NetLab lab, int index) =>
        index == 0 ? lab.Hosts[0].StartRouter() : lab.Hosts[index].StartRouter(lab.Hosts[index - 1].UnderlayAddress.ToString());

    /// <summary>
    /// <c>Peers: N</c> for the N hosts in <paramref name="members"/>, and one established
    /// connection to each other member (no more established rows than that).
    /// </summary>
    private static bool IsFullMesh(NetLab lab, LabHost host, Snapshot snapshot, IReadOnlyList<LabHost> members)
    {
        if (MeshStatusText.Peers(snapshot.Status) != members.Count)
        {
            return false;
        }
        IReadOnlyList<MeshStatusText.Row> established = [.. MeshStatusText.Connections(snapshot.Connections).Where(r => r.Established)];
        if (established.Count != members.Count - 1)
        {
            return false;
        }
        return members.Where(m => m != host).All(other =>
            established.Count(r => r.Info.Contains($"{other.PeerName}({other.Name})", StringComparison.Ordinal)) == 1);
    }

    private static bool HasEstablishedTo(Snapshot snapshot, LabHost target) =>
        MeshStatusText.Connections(snapshot.Connections).Any(r => r.Established && r.IsTo(target.Name, target.UnderlayAddress.ToString()));

    /// <summary>Polls every host (in parallel) until the condition holds on all of them at once.</summary>
    private static void AssertEventually(NetLab lab, LabProcess[] routers, TimeSpan within, string what,
        Func<LabHost, Snapshot, bool> condition, LabHost[]? hosts = null)
    {
        hosts ??= [.. lab.Hosts];
        var clock = Stopwatch.StartNew();
        Snapshot[] last = [];
        while (true)
        {
            last = [.. hosts.AsParallel().AsOrdered().Select(Snapshot.Of)];
            if (hosts.Select((h, i) => condition(h, last[i])).All(ok => ok))
            {
                lab.Log($"{what}: after {clock.Elapsed.TotalSeconds:0.0} s");
                return;
            }
            if (clock.Elapsed >= within)
            {
                break;
            }
            Thread.Sleep(250);
        }
        var text = new StringBuilder($"expected {what} within {within.TotalSeconds:0} s; last status:\n");
        for (int i = 0; i < hosts.Length; i++)
        {
            text.Append(condition(hosts[i], last[i]) ? "[ok] " : "[NOT YET] ").Append(last[i]).Append('\n');
        }
        foreach (LabProcess router in routers)
        {
            text.Append(router).Append(router.HasExited ? $" exited {router.ExitCode}" : " running").Append(":\n")
                .Append(Tail(router.Output, 40)).Append('\n');
        }
        Assert.Fail(text.ToString());
    }

    private static string Tail(string text, int lines)
    {
        string[] all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary><c>weave status</c> and <c>weave status connections</c> of one host, taken together.</summary>
    private sealed record Snapshot(LabHost Host, string Status, string Connections)
    {
        public static Snapshot Of(LabHost host)
        {
            CommandResult status = host.RunWeave("status");
            CommandResult connections = host.RunWeave("status", "connections");
            return new Snapshot(host,
                status.Succeeded ? status.Stdout : status.ToString(),
                connections.Succeeded ? connections.Stdout : connections.ToString());
        }

        public override string ToString() =>
            $"{Host.Name} ({Host.UnderlayAddress}, {Host.PeerName}):\n{Status.TrimEnd()}\n--- connections ---\n{Connections.TrimEnd()}";
    }
}

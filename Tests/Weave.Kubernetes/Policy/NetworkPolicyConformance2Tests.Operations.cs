using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weave.KubeLab;
using Weave.Lab;
using Weave.Linux;
using Xunit;
using static Weave.Kubernetes.Policy.Selector;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// What an operator sees and relies on, on the real cluster: <c>weave npc explain</c> names the
/// policy and the chain, a denied connection is counted per policy in /metrics and logged with
/// both pods; killing the weave-npc container and stopping the API server each leave the rules in
/// force (an allowed pair never fails, a denied pair never gets through), and after the API
/// returns a change is enforced again.
/// </summary>
public sealed partial class NetworkPolicyConformance2Tests
{
    // x/a admits x/b on TCP 80 only.
    private static readonly NetworkPolicy s_aFromB = new NetworkPolicy("x", "a-in", Labels("pod", "a")) with
    {
        Ingress = [new Rule([Peer.PodsWhere(Labels("pod", "b"))], [PolicyPort.Tcp(80)])],
    };

    [RootFact]
    public async Task Operations_ExplainMetricsAndDropLog_AndRulesHeldAcrossARestartAndAnApiOutage()
    {
        RootFactAttribute.Require();
        _lab.Start();
        KubeCluster cluster = _lab.Cluster;
        _lab.ReplacePolicies([s_aFromB]);
        Assert.Null((await CheckAsync("x/a admits x/b on TCP 80")).Failure);
        ClusterState state = _lab.State;
        ClusterPod xa = state.Pod("x", "a"), xb = state.Pod("x", "b"), zb = state.Pod("z", "b");
        string npcPod = AddOn.PodOn(cluster, xa.Node) ?? throw new InvalidOperationException($"no add-on pod on {xa.Node}");

        // explain, on the node of x/a, where its ingress is enforced.
        CommandResult explain = Npc(cluster, npcPod, "explain", "z/b", "x/a", "80/TCP").EnsureSuccess();
        Assert.Contains($"z/b ({zb.Address}) -> x/a ({xa.Address}) TCP/80: denied", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("x/a-in", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("ingress of x/a on this node: chain in.x.a in table inet weave-npc", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("TCP/80: allowed", Npc(cluster, npcPod, "explain", "x/b", xa.Address.ToString(), "80").EnsureSuccess().Stdout, StringComparison.Ordinal);
        CommandResult bad = Npc(cluster, npcPod, "explain", "z/b", "x/a", "80/ICMP");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("the protocol must be TCP, UDP or SCTP", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("State: enforcing", Npc(cluster, npcPod, "status").EnsureSuccess().Stdout, StringComparison.Ordinal);

        // A denied connection: counted for the policy, and logged with both pods.
        bool[] denied = await Prober.RunAsync([new ProbeCase(zb, ProbeTarget.ToPod(xa), 80, Protocol.Tcp)]);
        Assert.False(denied[0]);
        KubeNode node = cluster.Nodes.First(n => n.Name == xa.Node);
        Assert.True(Eventually.True(() => DeniedByPolicy(node, "x", "a-in") > 0, TimeSpan.FromSeconds(10)),
            "weave_npc_policy_denied_packets_total for x/a-in:\n" + Metrics(node));
        // Earlier tests of the class denied other flows: look for this one's line.
        string expected = $"-> x/a ({xa.Address}):80 dropped at ingress of x/a, isolated by x/a-in";
        Assert.True(Eventually.True(() => NpcLogs(cluster, npcPod).Split('\n').Any(l =>
                l.Contains($"Denied: TCP z/b ({zb.Address}):", StringComparison.Ordinal) && l.EndsWith(expected, StringComparison.Ordinal)), TimeSpan.FromSeconds(10)),
            "no drop log line ending in " + expected + ":\n" + string.Join("\n", NpcLogs(cluster, npcPod).Split('\n').Where(l => l.Contains("Denied:", StringComparison.Ordinal)).TakeLast(10)));

        // The controller killed: kubelet starts it again; meanwhile and after, the rules hold.
        var allowedPair = new ProbeCase(xb, ProbeTarget.ToPod(xa), 80, Protocol.Tcp);
        var deniedPair = new ProbeCase(zb, ProbeTarget.ToPod(xa), 80, Protocol.Tcp);
        int restarts = RestartCount(cluster, npcPod);
        await using (var allowed = new ContinuousProbe(allowedPair, expected: true, Prober.Timeout))
        await using (var refused = new ContinuousProbe(deniedPair, expected: false, Prober.Timeout))
        {
            allowed.Start();
            refused.Start();
            string id = cluster.Kubectl("-n", AddOn.Namespace, "get", "pod", npcPod, "-o",
                "jsonpath={.status.containerStatuses[?(@.name==\"weave-npc\")].containerID}").EnsureSuccess().Stdout.Trim();
            Assert.StartsWith("containerd://", id, StringComparison.Ordinal);
            _ = node.Ctr("task", "kill", "--signal", "SIGKILL", id["containerd://".Length..]).EnsureSuccess();
            cluster.WaitFor("weave-npc restarted and ready", () => RestartCount(cluster, npcPod) > restarts && NpcReady(cluster, npcPod), TimeSpan.FromMinutes(2));
            await Task.Delay(TimeSpan.FromSeconds(3));
            await allowed.DisposeAsync();
            await refused.DisposeAsync();
            _output.WriteLine($"restart: {allowed.Probes} probes of {allowedPair}, {allowed.UnexpectedCount} failed; {refused.Probes} of {deniedPair}, {refused.UnexpectedCount} got through");
            Assert.True(allowed.UnexpectedCount == 0 && refused.UnexpectedCount == 0,
                $"across the restart: {string.Join("; ", allowed.Unexpected.Concat(refused.Unexpected))}");
        }

        // The API server stopped: nothing changes; started again: a change is enforced again.
        await using (var allowed = new ContinuousProbe(allowedPair, expected: true, Prober.Timeout))
        await using (var refused = new ContinuousProbe(deniedPair, expected: false, Prober.Timeout))
        {
            allowed.Start();
            refused.Start();
            cluster.StopApiServer();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(15));
            }
            finally
            {
                cluster.StartApiServer();
            }
            await allowed.DisposeAsync();
            await refused.DisposeAsync();
            _output.WriteLine($"API outage: {allowed.Probes} probes of {allowedPair}, {allowed.UnexpectedCount} failed; {refused.Probes} of {deniedPair}, {refused.UnexpectedCount} got through");
            Assert.True(allowed.UnexpectedCount == 0 && refused.UnexpectedCount == 0,
                $"during the outage: {string.Join("; ", allowed.Unexpected.Concat(refused.Unexpected))}");
        }
        _lab.DeletePolicy("x", "a-in");
        // The followers list again within their back-off (at most 30 s), then the deletion applies.
        Assert.True(Eventually.True(() => Npc(cluster, npcPod, "explain", "z/b", "x/a", "80/TCP").Stdout.Contains("TCP/80: allowed", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90)), "the controller did not see the deletion after the API returned");
        Assert.Null((await CheckAsync("after the outage, x/a-in deleted")).Failure);
    }

    private static CommandResult Npc(KubeCluster cluster, string pod, params string[] args) =>
        cluster.Kubectl(["-n", AddOn.Namespace, "exec", pod, "-c", "weave-npc", "--", "weave", "npc", .. args]);

    private static string NpcLogs(KubeCluster cluster, string pod) =>
        cluster.Kubectl("-n", AddOn.Namespace, "logs", pod, "-c", "weave-npc").Stdout;

    private static int RestartCount(KubeCluster cluster, string pod) => int.Parse(cluster.Kubectl("-n", AddOn.Namespace, "get", "pod", pod, "-o",
        "jsonpath={.status.containerStatuses[?(@.name==\"weave-npc\")].restartCount}").EnsureSuccess().Stdout.Trim(), CultureInfo.InvariantCulture);

    private static bool NpcReady(KubeCluster cluster, string pod) => cluster.Kubectl("-n", AddOn.Namespace, "get", "pod", pod, "-o",
        "jsonpath={.status.containerStatuses[?(@.name==\"weave-npc\")].ready}").Stdout.Trim() == "true";

    /// <summary>GET /metrics from weave-npc's listener, which only the node itself reaches (127.0.0.1:6781 in its namespace).</summary>
    private static string Metrics(KubeNode node)
    {
        using Socket socket = NetNs.Run(node.Namespace, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        socket.ReceiveTimeout = 10_000;
        socket.Connect(new IPEndPoint(IPAddress.Loopback, 6781));
        socket.Send("GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"u8);
        using var answer = new MemoryStream();
        byte[] buffer = new byte[16384];
        int read;
        while ((read = socket.Receive(buffer)) > 0)
        {
            answer.Write(buffer, 0, read);
        }
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    private static double DeniedByPolicy(KubeNode node, string ns, string policy)
    {
        string prefix = $"weave_npc_policy_denied_packets_total{{direction=\"ingress\",namespace=\"{ns}\",policy=\"{policy}\"}} ";
        string? sample = Metrics(node).Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return sample is null ? 0 : double.Parse(sample[prefix.Length..], CultureInfo.InvariantCulture);
    }
}

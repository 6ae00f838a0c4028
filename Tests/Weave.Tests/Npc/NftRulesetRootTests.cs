using System.Net;
using System.Net.Sockets;
using Weave.Lab;
using Weave.Linux.Nftables;
using Weave.Npc;
using Weave.Npc.Enforcement;
using Xunit;
using static Weave.Tests.Npc.EnforcementClusters;

namespace Weave.Tests.Npc;

/// <summary>
/// The rendered ruleset against the real nft and kernel, each test in namespaces of its own:
/// nft accepts every compiled ruleset, and on a bridge with br_netfilter the kernel lets through
/// exactly the TCP connections the engine allows.
/// </summary>
public sealed class NftRulesetRootTests
{
    private static readonly int[] s_ports = [80, 8080, 9000];

    [RootFact]
    public void Render_OfTestAndRandomClusters_PassesNftCheck()
    {
        RootFactAttribute.Require();
        var scripts = new List<(string What, string Script)>
        {
            ("sample", NftRuleset.Render(EnforcementCompiler.Compile(Namespaces, Pods, Policies, Node))),
            ("dual stack", NftRuleset.Render(EnforcementCompiler.Compile(Namespaces,
                [DualStack(Web, "fd00::11"), DualStack(Db, "fd00::12"), Cache, Other, Remote], Policies, Node))),
            ("no policies", NftRuleset.Render(EnforcementCompiler.Compile(Namespaces, Pods, [], Node))),
            ("long names", NftRuleset.Render(EnforcementCompiler.Compile(Namespaces,
                [Web with { Name = new string('w', 190) }, Db with { Name = "Db_Not.A-Dns.Name" }, Cache with { Name = new string('c', 250) }], Policies, Node))),
            // Names reach comments; our parser bounds only their length.
            ("hostile names", NftRuleset.Render(EnforcementCompiler.Compile(Namespaces, Pods,
                [.. Policies.Select(p => p with { Name = p.Name + "\"\n} flush ruleset; \\ é\u0000" })], Node))),
        };
        for (int seed = 0; seed < 60; seed++)
        {
            var random = new Random(seed);
            RandomCluster cluster = EnforcementProperties.Spread(NpcArbitraries.Cluster(random, 0), random);
            scripts.Add(($"random seed {seed}", NftRuleset.Render(EnforcementCompiler.Compile(cluster.Namespaces, cluster.Pods, cluster.Policies, "n1"))));
        }
        using var ns = new TempNetns("wvnpc");
        string file = Path.GetTempFileName();
        try
        {
            foreach ((string what, string script) in scripts)
            {
                File.WriteAllText(file, script);
                // ip netns exec throws with nft's complaint when the check fails.
                Exception? refused = Record.Exception(() => TempNetns.Ip("netns", "exec", ns.Name, "nft", "-c", "-f", file));
                Assert.True(refused is null, $"{what}: {refused?.Message}{Environment.NewLine}{script}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// Four pods on bridge <c>weave</c> (each a namespace with a veth), listening on three ports;
    /// every pod connects to every other on each port, and each outcome is the engine's.
    /// </summary>
    [RootFact]
    public async Task Kernel_OnABridgeWithBrNetfilter_AllowsExactlyWhatTheEngineAllows()
    {
        RootFactAttribute.Require();
        Pod[] pods = [Web, Db, Cache, Other];
        var engine = new PolicyEngine(Namespaces, Pods, Policies);
        string script = NftRuleset.Render(EnforcementCompiler.Compile(Namespaces, Pods, Policies, Node));
        var namespaces = new List<TempNetns>();
        var sockets = new List<Socket>();
        try
        {
            var host = new TempNetns("wvnpc");
            namespaces.Add(host);
            TempNetns.Ip("-n", host.Name, "link", "add", "weave", "type", "bridge");
            TempNetns.Ip("-n", host.Name, "link", "set", "weave", "up");
            TempNetns.Ip("-n", host.Name, "addr", "add", "10.32.0.1/24", "dev", "weave");
            TempNetns.Ip("netns", "exec", host.Name, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=1");
            var podNs = new Dictionary<Pod, TempNetns>();
            for (int i = 0; i < pods.Length; i++)
            {
                var ns = new TempNetns("wvpod");
                namespaces.Add(ns);
                podNs[pods[i]] = ns;
                TempNetns.Ip("-n", host.Name, "link", "add", $"vp{i}", "type", "veth", "peer", "name", "eth0", "netns", ns.Name);
                TempNetns.Ip("-n", host.Name, "link", "set", $"vp{i}", "master", "weave", "up");
                TempNetns.Ip("-n", ns.Name, "addr", "add", $"{pods[i].Addresses[0]}/24", "dev", "eth0");
                TempNetns.Ip("-n", ns.Name, "link", "set", "eth0", "up");
                TempNetns.Ip("-n", ns.Name, "link", "set", "lo", "up");
                foreach (int port in s_ports)
                {
                    sockets.Add(ns.Run(() =>
                    {
                        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                        listener.Bind(new IPEndPoint(IPAddress.Any, port));
                        listener.Listen(16);
                        return listener;
                    }));
                }
            }
            host.Run(() => Nft().Apply(script));

            var probes = new List<(Flow Flow, Task<bool> Connected)>();
            foreach (Pod from in pods)
            {
                foreach (Pod to in pods.Where(p => p != from))
                {
                    foreach (int port in s_ports)
                    {
                        Socket client = podNs[from].Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
                        sockets.Add(client);
                        probes.Add((Cluster.Tcp(from, to, port), ConnectsAsync(client, new IPEndPoint(to.Addresses[0], port))));
                    }
                }
            }
            await Task.WhenAll(probes.Select(p => p.Connected));
            string[] mismatches = [.. probes
                .Where(p => p.Connected.Result != engine.IsAllowed(p.Flow))
                .Select(p => $"{p.Flow}: kernel {(p.Connected.Result ? "connected" : "refused")}; {engine.Explain(p.Flow)}")];
            Assert.True(mismatches.Length == 0, string.Join(Environment.NewLine, mismatches) + Environment.NewLine + script);
            Assert.Contains(probes, p => p.Connected.Result);
            Assert.Contains(probes, p => !p.Connected.Result);
            Assert.DoesNotContain("packets 0 ", host.Run(() => Nft().List("counter inet weave-npc in.a.web")), StringComparison.Ordinal);

            // The node reaches its pods whatever the policies (web admits no one): its packets take
            // the output path, never the forward hook.
            Socket fromNode = host.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            sockets.Add(fromNode);
            Assert.False(engine.IsAllowed(Cluster.Tcp("10.32.0.1", Web, 80)));
            Assert.True(await ConnectsAsync(fromNode, new IPEndPoint(Web.Addresses[0], 80)), "the node could not reach its own pod");
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
            foreach (TempNetns ns in namespaces)
            {
                ns.Dispose();
            }
        }
    }

    /// <summary>True when the handshake completes within a second: a dropped SYN never completes, an allowed one takes well under a millisecond.</summary>
    private static async Task<bool> ConnectsAsync(Socket client, IPEndPoint to)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(to, timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false; // refused or unreachable: not what our drops do, but not a connection either
        }
    }

    private static NftCommand Nft()
    {
        Assert.True(NftCommand.TryFind(out NftCommand? nft), "nft is not installed (test.sh installs nftables)");
        return nft!;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Weave.Lab;
using Weave.Linux.Nftables;
using Weave.Npc;
using Weave.Npc.Enforcement;
using Xunit;
using static Weave.Tests.Npc.EnforcementClusters;

namespace Weave.Tests.Npc;

/// <summary>
/// <see cref="NftChanges"/> against the real nft and kernel, each test in namespaces of its own:
/// a table changed step by step lists as the table applied whole, the transaction order is one
/// nft accepts, and a counter survives a change of its chain.
/// </summary>
public sealed partial class NftChangesRootTests
{
    private const string TableName = "table inet weave-npc";

    /// <summary>
    /// Three sequences of ten random steps (pods, policies and namespaces added and removed,
    /// labels, nodes and named ports changed): after each, the changed table lists as the one a
    /// second namespace gets from the whole script. Most random steps do not touch node n1's
    /// table, so the sequences are the first whose steps change it at least seven times.
    /// </summary>
    [RootFact]
    public void Changes_OverRandomSteps_ListAsTheTableRenderedWhole()
    {
        RootFactAttribute.Require();
        using var changed = new TempNetns("wvnpc");
        using var whole = new TempNetns("wvnpc");
        int applied = 0;
        foreach (int seed in Enumerable.Range(0, 1_000).Where(s => ChangingSteps(s) >= 7).Take(3))
        {
            var random = new Random(seed);
            RandomCluster cluster = ClusterSteps.First(random);
            EnforcementPlan plan = Compile(cluster, "n1");
            changed.Run(() => Nft().Apply(NftRuleset.Render(plan)));
            for (int step = 0; step < 10; step++)
            {
                cluster = ClusterSteps.Next(cluster, random, step);
                EnforcementPlan wanted = Compile(cluster, "n1");
                string script = NftChanges.Render(plan, wanted);
                if (script.Length > 0)
                {
                    Exception? refused = Record.Exception(() => changed.Run(() => Nft().Apply(script)));
                    Assert.True(refused is null, $"seed {seed} step {step}: {refused?.Message}{Environment.NewLine}{script}");
                    applied++;
                }
                whole.Run(() => Nft().Apply(NftRuleset.Render(wanted)));
                Assert.True(Normalized(whole) == Normalized(changed),
                    $"seed {seed} step {step}:{Environment.NewLine}{Normalized(whole)}{Environment.NewLine}---{Environment.NewLine}{Normalized(changed)}{Environment.NewLine}{script}");
                plan = wanted;
            }
        }
        Assert.True(applied >= 21, $"only {applied} of 30 steps changed the table");
    }

    /// <summary>
    /// Removing cache takes its ingress chain and the sets only that chain used (the ipBlock's
    /// addresses, its ports): nft must accept deleting the sets after the rules in one transaction.
    /// </summary>
    [RootFact]
    public void Changes_RemovingAPodWithSetsOnlyItUsed_PassNftCheckAndApply()
    {
        RootFactAttribute.Require();
        EnforcementPlan before = EnforcementCompiler.Compile(Namespaces, Pods, Policies, Node);
        EnforcementPlan after = EnforcementCompiler.Compile(Namespaces, [.. Pods.Where(p => p != Cache)], Policies, Node);
        string script = NftChanges.Render(before, after);
        Assert.Contains("delete chain inet weave-npc in.a.cache", script, StringComparison.Ordinal);
        Assert.Contains("delete set inet weave-npc ", script, StringComparison.Ordinal);
        using var ns = new TempNetns("wvnpc");
        using var whole = new TempNetns("wvnpc");
        ns.Run(() => Nft().Apply(NftRuleset.Render(before)));
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, script);
            Exception? refused = Record.Exception(() => TempNetns.Ip("netns", "exec", ns.Name, "nft", "-c", "-f", file));
            Assert.True(refused is null, $"{refused?.Message}{Environment.NewLine}{script}");
        }
        finally
        {
            File.Delete(file);
        }
        ns.Run(() => Nft().Apply(script));
        whole.Run(() => Nft().Apply(NftRuleset.Render(after)));
        Assert.Equal(Normalized(whole), Normalized(ns));
    }

    /// <summary>
    /// A probe chain in the table counts a packet the namespace sends itself into web's ingress
    /// counter; then a policy is added that changes web's ingress chain. The counter keeps its
    /// value and its handle: it was neither reset nor recreated.
    /// </summary>
    [RootFact]
    public void Changes_OfAChain_KeepItsCounter()
    {
        RootFactAttribute.Require();
        EnforcementPlan before = EnforcementCompiler.Compile(Namespaces, Pods, Policies, Node);
        NetworkPolicy webFromB = Cluster.Policy("a", "web-from-b", Cluster.Sel("app=web"),
            ingress: [Cluster.Rule([PolicyPeer.Pods(null, Cluster.Sel("team=b"))], PolicyPort.Numbered(PortProtocol.Tcp, 80))]);
        EnforcementPlan after = EnforcementCompiler.Compile(Namespaces, Pods, [.. Policies, webFromB], Node);
        string script = NftChanges.Render(before, after);
        Assert.Contains("flush chain inet weave-npc in.a.web", script, StringComparison.Ordinal);

        using var ns = new TempNetns("wvnpc");
        TempNetns.Ip("-n", ns.Name, "link", "set", "lo", "up");
        ns.Run(() =>
        {
            Nft().Apply(NftRuleset.Render(before));
            Nft().Apply("add chain inet weave-npc probe { type filter hook output priority filter; }\n"
                + "add rule inet weave-npc probe ip daddr 127.0.0.9 counter name in.a.web\n");
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SendTo(new byte[100], new IPEndPoint(IPAddress.Parse("127.0.0.9"), 9));
        });
        string counted = ns.Run(() => Nft().List("counter inet weave-npc in.a.web", withHandles: true))!;
        Assert.Contains("packets 1 bytes 128", counted, StringComparison.Ordinal);

        ns.Run(() => Nft().Apply(script));
        Assert.Equal(counted, ns.Run(() => Nft().List("counter inet weave-npc in.a.web", withHandles: true)));
    }

    private static int ChangingSteps(int seed)
    {
        var random = new Random(seed);
        RandomCluster cluster = ClusterSteps.First(random);
        EnforcementPlan plan = Compile(cluster, "n1");
        int changing = 0;
        for (int step = 0; step < 10; step++)
        {
            cluster = ClusterSteps.Next(cluster, random, step);
            EnforcementPlan wanted = Compile(cluster, "n1");
            changing += NftChanges.Render(plan, wanted).Length > 0 ? 1 : 0;
            plan = wanted;
        }
        return changing;
    }

    private static EnforcementPlan Compile(RandomCluster cluster, string node) =>
        EnforcementCompiler.Compile(cluster.Namespaces, cluster.Pods, cluster.Policies, node);

    /// <summary>
    /// The table as nft lists it, with only what two equal tables may list differently made
    /// equal: objects in name order rather than in the order they were added, the elements of
    /// each set and map sorted, and counter values left out.
    /// </summary>
    private static string Normalized(TempNetns ns)
    {
        string listed = ns.Run(() => Nft().List(TableName)) ?? "(no table)";
        var blocks = new List<string>();
        var block = new StringBuilder();
        foreach (string line in listed.Split('\n').Skip(1))
        {
            if (line.Length == 0 || line == "}")
            {
                continue;
            }
            block.Append(line.Trim()).Append(' ');
            if (line == "\t}" || !line.EndsWith('{') && line.StartsWith("\tcomment", StringComparison.Ordinal))
            {
                blocks.Add(Elements().Replace(CounterValues().Replace(block.ToString(), "packets N bytes N"),
                    m => "elements = { " + string.Join(", ", m.Groups["e"].Value.Split(',', StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)) + " }"));
                block.Clear();
            }
        }
        return string.Join('\n', blocks.Order(StringComparer.Ordinal));
    }

    private static NftCommand Nft()
    {
        Assert.True(NftCommand.TryFind(out NftCommand? nft), "nft is not installed (test.sh installs nftables)");
        return nft!;
    }

    [GeneratedRegex("packets [0-9]+ bytes [0-9]+")]
    private static partial Regex CounterValues();

    [GeneratedRegex("elements = \\{(?<e>[^}]*)\\}")]
    private static partial Regex Elements();
}

using System.Text;
using Weave.KubeLab;
using Weave.Lab;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// What a person needs when a matrix disagrees with the model, as it is right after the last
/// round: each node's bridge (its MAC is the pods' gateway), its table <c>inet weave-npc</c> and
/// its conntrack entries of the failing targets' addresses; the failing sources' neighbours and routes.
/// </summary>
internal static class EnforcementDump
{
    public static string Of(KubeCluster cluster, IReadOnlyList<ProbeCase> wrong)
    {
        var text = new StringBuilder();
        void Section(string title, CommandResult result) =>
            text.Append("--- ").Append(title).Append(" ---\n").Append((result.Succeeded ? result.Stdout : result.ToString()).TrimEnd()).Append('\n');
        string[] targets = [.. wrong.Select(p => p.Target.Address.ToString()).Distinct()];
        foreach (KubeNode node in cluster.Nodes)
        {
            Section($"{node.Name}: ip -br link show weave", node.Exec("ip", "-br", "link", "show", "weave"));
            Section($"{node.Name}: nft list table inet weave-npc", node.Exec("nft", "list", "table", "inet", "weave-npc"));
            foreach (string target in targets.Take(4))
            {
                Section($"{node.Name}: conntrack -L -d {target}", node.Exec("conntrack", "-L", "-d", target));
            }
        }
        foreach (ClusterPod source in wrong.Select(p => p.Source).Distinct().Take(4))
        {
            Section($"{source} ({source.Address} on {source.Node}): ip neigh; ip route",
                Command.Run("nsenter", "--net=" + source.NetnsPath, "sh", "-c", "ip neigh; ip route"));
        }
        return text.ToString();
    }
}

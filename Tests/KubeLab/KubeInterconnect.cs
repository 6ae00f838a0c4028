using System.Globalization;
using System.Net;
using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// A second network between the nodes of several clusters, standing for the routed network that
/// joins clusters in different places. Each cluster keeps its own underlay (every run uses the
/// same 10.200.0.0/24, so the underlays cannot simply be bridged together); here node N of the
/// k-th cluster (k = 1, 2, ...) gets <c>eth1</c> at 10.202.0.(10·k + N)/24 on one bridge, in a
/// namespace that belongs to the first cluster and goes when that cluster is disposed.
/// </summary>
public static class KubeInterconnect
{
    public const string Subnet = "10.202.0.0/24";

    /// <summary>Node <paramref name="node"/> of the <paramref name="cluster"/>-th cluster (both 1-based).</summary>
    public static IPAddress Address(int cluster, int node)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cluster, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cluster, 9);
        ArgumentOutOfRangeException.ThrowIfLessThan(node, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, KubeAddressPlan.MaxNodes);
        return new IPAddress([10, 202, 0, (byte)(10 * cluster + node)]);
    }

    /// <summary>
    /// Joins the running nodes of <paramref name="clusters"/>; returns each cluster's nodes'
    /// interconnect addresses, in the clusters' order.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<IPAddress>> Join(params KubeCluster[] clusters)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        ArgumentOutOfRangeException.ThrowIfLessThan(clusters.Length, 2);
        KubeCluster owner = clusters[0];
        string ns = owner.RunName + "-ic";
        owner.AddNamespace(ns);
        Ip.In(ns, "link", "add", "br0", "type", "bridge");
        Ip.In(ns, "link", "set", "br0", "up");
        var addresses = new List<IReadOnlyList<IPAddress>>();
        for (int k = 0; k < clusters.Length; k++)
        {
            var nodes = new List<IPAddress>();
            foreach (KubeNode node in clusters[k].Nodes)
            {
                IPAddress address = Address(k + 1, node.Index);
                string end = "c" + (k + 1).ToString(CultureInfo.InvariantCulture) + node.Name;
                Ip.In(ns, "link", "add", end, "type", "veth", "peer", "name", "eth1", "netns", node.Namespace);
                Ip.In(ns, "link", "set", end, "master", "br0", "up");
                Ip.In(node.Namespace, "addr", "add", address + "/24", "dev", "eth1");
                Ip.In(node.Namespace, "link", "set", "eth1", "up");
                nodes.Add(address);
            }
            addresses.Add(nodes);
        }
        owner.Log($"interconnect {Subnet} in {ns}: " + string.Join("; ", addresses.Select((a, k) => $"{clusters[k].RunName} {string.Join(' ', a)}")));
        return addresses;
    }
}

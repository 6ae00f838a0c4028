using System.Net;
using System.Net.Sockets;
using Weave.Kube.Api;

namespace Weave.Kube.Peers;

/// <summary>Which address of a Node its router is dialled at: the IPv4 InternalIP, else the IPv4 ExternalIP (as weave-kube chose).</summary>
public static class NodePeers
{
    public static IPAddress? AddressOf(KubeNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        IPAddress? external = null;
        foreach (NodeAddress address in node.Status?.Addresses ?? [])
        {
            if (!IPAddress.TryParse(address.Address, out IPAddress? ip) || ip.AddressFamily != AddressFamily.InterNetwork)
            {
                continue;
            }
            if (address.Type == "InternalIP")
            {
                return ip;
            }
            if (address.Type == "ExternalIP")
            {
                external ??= ip;
            }
        }
        return external;
    }

    /// <summary>
    /// The addresses of every node but ours (by name, or by an address of this machine, which
    /// <paramref name="isLocal"/> tells), sorted; nodes without an address are left out.
    /// </summary>
    public static IReadOnlyList<IPAddress> Targets(IEnumerable<KubeNode> nodes, string selfNode, Func<IPAddress, bool> isLocal)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(isLocal);
        var targets = new SortedSet<IPAddress>(Comparer<IPAddress>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString())));
        foreach (KubeNode node in nodes)
        {
            if (node.Name == selfNode || AddressOf(node) is not { } address || isLocal(address))
            {
                continue;
            }
            targets.Add(address);
        }
        return [.. targets];
    }
}

using System.Net;

namespace Weave.KubeLab;

/// <summary>
/// The addresses of every cluster the lab builds. Each run has namespaces of its own, so runs share
/// this plan without meeting, and none of it exists in the machine's root network namespace.
/// <code>
/// 10.200.0.0/24  underlay: bridge br0 in &lt;run&gt;-underlay (no address, no uplink)
///   .1           &lt;run&gt;-ctrl: kube-apiserver :6443 (etcd, controller-manager, scheduler on its 127.0.0.1);
///                no route beyond the underlay, so it cannot answer pod addresses
///   .10+N        &lt;run&gt;-nodeN (N = 1..): eth0, default route via .254, ip_forward=1
///   .254         &lt;run&gt;-world: the outside; 10.201.0.1/32 on its lo answers ping and HTTP :80;
///                ip_forward=0 and routes only to the underlay, so it answers a pod only if the
///                pod's traffic leaves its node masqueraded to the node's address
/// 10.96.0.0/16   services: 10.96.0.1:443 = kubernetes (kube-proxy DNATs it to .1:6443),
///                10.96.0.10 = clusterDNS (nothing serves it)
/// </code>
/// </summary>
public static class KubeAddressPlan
{
    public const string Underlay = "10.200.0.0/24";

    public const int UnderlayPrefixLength = 24;

    public const int ApiServerPort = 6443;

    public const string ServiceCidr = "10.96.0.0/16";

    /// <summary>The most nodes a cluster may have; each costs about 170 MiB and 2 s of start time.</summary>
    public const int MaxNodes = 5;

    public static IPAddress ApiServer { get; } = IPAddress.Parse("10.200.0.1");

    /// <summary>The world's address on the underlay: the nodes' default gateway.</summary>
    public static IPAddress WorldGateway { get; } = IPAddress.Parse("10.200.0.254");

    /// <summary>The world itself, reachable from pods only through masquerade.</summary>
    public static IPAddress World { get; } = IPAddress.Parse("10.201.0.1");

    public static IPAddress KubernetesService { get; } = IPAddress.Parse("10.96.0.1");

    public static IPAddress ClusterDns { get; } = IPAddress.Parse("10.96.0.10");

    /// <summary>Node <paramref name="index"/> (1-based): 10.200.0.(10 + index).</summary>
    public static IPAddress Node(int index)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, MaxNodes);
        return new IPAddress([10, 200, 0, (byte)(10 + index)]);
    }
}

namespace Weave.KubeLab;

/// <summary>What <see cref="KubeCluster.Start"/> builds.</summary>
public sealed class KubeClusterOptions
{
    /// <summary>Nodes node1..nodeN, 1 to <see cref="KubeAddressPlan.MaxNodes"/>.</summary>
    public int NodeCount { get; init; } = 1;

    /// <summary>kube-proxy's <c>clusterCIDR</c>: the pod range the add-on allocates from (Weave's default).</summary>
    public string ClusterCidr { get; init; } = "10.32.0.0/12";

    /// <summary>Receives what the lab does (not the daemons' output: that goes to their log files).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>More docker-archive or OCI tars to import into every node before kubelet starts.</summary>
    public IReadOnlyList<string> Images { get; init; } = [];

    /// <summary>How long the control plane and the nodes may take to come up and register.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(3);
}

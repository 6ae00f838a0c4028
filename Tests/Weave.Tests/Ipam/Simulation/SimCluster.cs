using Weave.Gossip;
using Weave.Ipam;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>A cluster while a schedule runs: its options and its replicas, in index order.</summary>
internal sealed class SimCluster(SimClusterSpec spec, IpamOptions options)
{
    private readonly HashSet<PeerName> _names = [];

    public SimClusterSpec Spec { get; } = spec;

    public string Name => Spec.Name;

    public IpamOptions Options { get; } = options;

    public Cidr Range => Options.Range;

    public List<SimReplica> Members { get; } = [];

    /// <summary>The subnets schedules allocate in: the whole range, its first quarter, and two /28s (small, so space runs out and peers donate).</summary>
    public Cidr[] Subnets { get; } =
    [
        options.Range,
        Cidr.FromValue(options.Range.Start, options.Range.PrefixLength + 2),
        Cidr.FromValue(options.Range.Start + 16, 28),
        Cidr.FromValue(options.Range.Start + 32, 28),
    ];

    public void Add(SimReplica replica)
    {
        Members.Add(replica);
        _names.Add(replica.Name);
    }

    /// <summary>Whether a peer name is one of this cluster's.</summary>
    public bool Has(PeerName name) => _names.Contains(name);

    public override string ToString() => $"cluster {Name} ({Range})";
}

using Xunit;

namespace Weave.Tests.Gossip.Topology;

/// <summary>Timing tests run alone, after the parallel ones, so other tests do not skew them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingGroup
{
    public const string Name = "Topology timing";
}

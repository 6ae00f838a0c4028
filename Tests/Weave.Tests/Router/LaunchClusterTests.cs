using System.Net;
using Weave.Gossip;
using Weave.Router.Launch;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary><c>--cluster</c> and <c>--peer-clusters</c>, from flags and from WEAVE_CLUSTER and WEAVE_PEER_CLUSTERS.</summary>
public sealed class LaunchClusterTests
{
    private readonly MemoryIdentityFiles _files = new();

    private RouterOptions Launch(LaunchFlags flags, IReadOnlyDictionary<string, string>? environment = null, IReadOnlySet<string>? given = null)
    {
        LaunchFlags fromEnvironment = LaunchEnvironment.Read(n => environment?.GetValueOrDefault(n), kubernetes: false);
        LaunchFlags merged = LaunchEnvironment.Merge(flags with { NickName = "host" }, given ?? new HashSet<string>(), fromEnvironment);
        return LaunchOptions.From(merged, new PeerNameSource(_files, "/etc/machine-id", new Random(7)));
    }

    private string Error(LaunchFlags flags, IReadOnlyDictionary<string, string>? environment = null) =>
        Assert.Throws<LaunchException>(() => Launch(flags, environment)).Message;

    [Fact]
    public void NoClusterGiven_IsNamedAfterTheRange_SoOneClusterNeedsNoSetting()
    {
        RouterOptions options = Launch(new LaunchFlags());
        Assert.Equal("10-32-0-0-12", options.Cluster.Name);
        Assert.Equal(IPNetwork.Parse("10.32.0.0/12"), options.Cluster.Range);
        Assert.Null(options.PeerClusters);

        RouterOptions other = Launch(new LaunchFlags { IpallocRange = "10.40.0.0/16" });
        Assert.Equal("10-40-0-0-16", other.Cluster.Name);
        Assert.Equal(IPNetwork.Parse("10.40.0.0/16"), other.Cluster.Range);
    }

    [Fact]
    public void ClusterGiven_IsKept_WithTheRange()
    {
        RouterOptions options = Launch(new LaunchFlags { Cluster = "east-1", IpallocRange = "10.40.0.0/16" });
        Assert.Equal("east-1", options.Cluster.Name);
        Assert.Equal(IPNetwork.Parse("10.40.0.0/16"), options.Cluster.Range);
        Assert.Equal("east-1 (10.40.0.0/16)", options.Cluster.Display);
    }

    [Theory]
    [InlineData("East", "may hold only lower-case letters, digits and '-'")]
    [InlineData("-east", "must start and end with a letter or digit")]
    [InlineData("", "a cluster name has 1 to 63 characters, not 0")]
    public void BadClusterName_IsRefusedWithTheReason(string name, string reason)
    {
        string error = Error(new LaunchFlags { Cluster = name });
        Assert.StartsWith("invalid --cluster: ", error, StringComparison.Ordinal);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void PeerClusters_AreSplitAtCommas_AndOurOwnNameIsLeftOut()
    {
        RouterOptions options = Launch(new LaunchFlags { Cluster = "a", PeerClusters = "a, b,c" });
        Assert.Equal(["b", "c"], options.PeerClusters!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PeerClustersEmpty_PeersWithNoOtherCluster()
    {
        RouterOptions options = Launch(new LaunchFlags { PeerClusters = "" });
        Assert.NotNull(options.PeerClusters);
        Assert.Empty(options.PeerClusters);
    }

    [Fact]
    public void PeerClustersWithABadName_IsRefusedNamingIt()
    {
        Assert.Equal("invalid --peer-clusters: cluster name 'B_2' may hold only lower-case letters, digits and '-'",
            Error(new LaunchFlags { PeerClusters = "a,B_2" }));
        Assert.Equal("invalid --peer-clusters: a cluster name has 1 to 63 characters, not 0",
            Error(new LaunchFlags { PeerClusters = "a,,b" }));
    }

    [Fact]
    public void Variables_FillClusterAndPeerClusters()
    {
        RouterOptions options = Launch(new LaunchFlags(),
            new Dictionary<string, string> { ["WEAVE_CLUSTER"] = "west", ["WEAVE_PEER_CLUSTERS"] = "east,north", ["IPALLOC_RANGE"] = "10.48.0.0/16" });
        Assert.Equal("west (10.48.0.0/16)", options.Cluster.Display);
        Assert.Equal(["east", "north"], options.PeerClusters!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PeerClustersVariableSetButEmpty_PeersWithNoOtherCluster_WhileUnsetPeersWithAny()
    {
        RouterOptions none = Launch(new LaunchFlags(), new Dictionary<string, string> { ["WEAVE_PEER_CLUSTERS"] = "" });
        Assert.NotNull(none.PeerClusters);
        Assert.Empty(none.PeerClusters);
        Assert.Null(Launch(new LaunchFlags(), new Dictionary<string, string> { ["WEAVE_CLUSTER"] = "a" }).PeerClusters);
    }

    [Fact]
    public void FlagsGiven_WinOverTheVariables()
    {
        RouterOptions options = Launch(new LaunchFlags { Cluster = "flag", PeerClusters = "x" },
            new Dictionary<string, string> { ["WEAVE_CLUSTER"] = "env", ["WEAVE_PEER_CLUSTERS"] = "y" },
            new HashSet<string> { "--cluster", "--peer-clusters" });
        Assert.Equal("flag", options.Cluster.Name);
        Assert.Equal(["x"], options.PeerClusters!);
    }

    [Theory]
    [InlineData("WEAVE_CLUSTER", "Bad", "invalid WEAVE_CLUSTER: cluster name 'Bad'")]
    [InlineData("WEAVE_PEER_CLUSTERS", "ok,no way", "invalid WEAVE_PEER_CLUSTERS: cluster name 'no way'")]
    public void BadVariable_IsRefusedNamingTheVariable(string variable, string value, string message) =>
        Assert.StartsWith(message, Error(new LaunchFlags(), new Dictionary<string, string> { [variable] = value }), StringComparison.Ordinal);
}

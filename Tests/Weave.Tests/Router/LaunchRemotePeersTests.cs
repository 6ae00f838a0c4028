using Weave.Gossip;
using Weave.Router.Launch;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary><c>--remote-peers</c> and WEAVE_REMOTE_PEERS: other clusters' routers, kept apart from PEER.</summary>
public sealed class LaunchRemotePeersTests
{
    private readonly MemoryIdentityFiles _files = new();

    private RouterOptions Launch(LaunchFlags flags, IReadOnlyDictionary<string, string>? environment = null, IReadOnlySet<string>? given = null, bool kubernetes = false)
    {
        LaunchFlags fromEnvironment = LaunchEnvironment.Read(n => environment?.GetValueOrDefault(n), kubernetes);
        LaunchFlags merged = LaunchEnvironment.Merge(flags with { NickName = "host" }, given ?? new HashSet<string>(), fromEnvironment);
        return LaunchOptions.From(merged, new PeerNameSource(_files, "/etc/machine-id", new Random(7)));
    }

    private string Error(LaunchFlags flags, IReadOnlyDictionary<string, string>? environment = null) =>
        Assert.Throws<LaunchException>(() => Launch(flags, environment)).Message;

    [Fact]
    public void Variable_GivesRemotePeers_SplitAtSpacesAndCommas_WithOurPortByDefault()
    {
        RouterOptions options = Launch(new LaunchFlags { Port = 7000 },
            new Dictionary<string, string> { ["WEAVE_REMOTE_PEERS"] = " 10.202.0.21, 10.202.0.22:6790\n10.202.0.21 " });
        Assert.Equal([new PeerAddress("10.202.0.21", 7000), new PeerAddress("10.202.0.22", 6790)], options.RemotePeers);
        Assert.Empty(options.Peers);
    }

    [Fact]
    public void RemotePeers_CountForNothingInOurConsensus()
    {
        RouterOptions options = Launch(new LaunchFlags { Peers = ["10.0.0.2"], RemotePeers = "10.9.0.1 10.9.0.2 10.9.0.3" },
            given: new HashSet<string> { "PEER", "--remote-peers" });
        Assert.Equal([new PeerAddress("10.0.0.2", RouterOptions.DefaultPort)], options.Peers);
        Assert.Equal(3, options.RemotePeers.Count);
        Assert.Equal("consensus=2", options.EffectiveIpamInit.ToString());
    }

    [Fact]
    public void WithKubernetes_RemotePeersDoNotMakeThePeersStatic()
    {
        RouterOptions options = Launch(new LaunchFlags { Kubernetes = true },
            new Dictionary<string, string> { ["WEAVE_REMOTE_PEERS"] = "10.202.0.21" }, kubernetes: true);
        Assert.Empty(options.Peers); // the Nodes still give the peers of our own cluster
        Assert.Equal([new PeerAddress("10.202.0.21", RouterOptions.DefaultPort)], options.RemotePeers);
    }

    [Fact]
    public void FlagGiven_WinsOverTheVariable()
    {
        RouterOptions options = Launch(new LaunchFlags { RemotePeers = "10.1.1.1" },
            new Dictionary<string, string> { ["WEAVE_REMOTE_PEERS"] = "10.2.2.2" }, new HashSet<string> { "--remote-peers" });
        Assert.Equal([new PeerAddress("10.1.1.1", RouterOptions.DefaultPort)], options.RemotePeers);
    }

    [Fact]
    public void BadEntry_IsRefusedNamingTheVariableAndTheEntry()
    {
        string error = Error(new LaunchFlags(), new Dictionary<string, string> { ["WEAVE_REMOTE_PEERS"] = "10.202.0.21 10.202.0.22:99999" });
        Assert.StartsWith("invalid WEAVE_REMOTE_PEERS: ", error, StringComparison.Ordinal);
        Assert.Contains("99999", error, StringComparison.Ordinal);
        Assert.StartsWith("invalid --remote-peers: ", Error(new LaunchFlags { RemotePeers = "host:" }), StringComparison.Ordinal);
    }

    [Fact]
    public void TooManyEntries_AreRefused()
    {
        string many = string.Join(' ', Enumerable.Range(0, RouterOptions.MaxRemotePeers + 1).Select(i => $"10.{i / 256}.{i % 256}.1"));
        Assert.Equal($"invalid --remote-peers: {RouterOptions.MaxRemotePeers + 1} entries, at most {RouterOptions.MaxRemotePeers}",
            Error(new LaunchFlags { RemotePeers = many }));
    }
}

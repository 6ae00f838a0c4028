using Weave.Lab;
using Weave.Linux;
using Weave.Linux.Nftables;
using Weave.Router.Cli;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>weave reset in a namespace of its own, with directories standing for the node's.</summary>
public sealed class NodeResetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("weave-reset-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    [RootFact]
    public void Run_RemovesWhatWeaveMade_AndNothingElse()
    {
        RootFactAttribute.Require();
        var paths = new NodeReset.Paths(Dir("bin"), Dir("legacy"), Dir("net.d"), Dir("weave"), "weave");
        string[] ours =
        [
            Path.Combine(paths.BinDirectory, "weave-net"), Path.Combine(paths.LegacyBinDirectory!, "weave-net"),
            Path.Combine(paths.ConfDirectory, "10-weave.conflist"), Path.Combine(paths.DataDirectory, "ipam.state"),
            Path.Combine(paths.DataDirectory, "peer-name"),
        ];
        string[] theirs = [Path.Combine(paths.BinDirectory, "portmap"), Path.Combine(paths.ConfDirectory, "99-other.conflist"), Path.Combine(paths.DataDirectory, "notes")];
        foreach (string file in ours.Concat(theirs))
        {
            File.WriteAllText(file, "x");
        }
        using var ns = new TempNetns();
        TempNetns.Ip("-n", ns.Name, "link", "add", "weave", "type", "bridge");
        TempNetns.Ip("-n", ns.Name, "link", "add", "vethwepl1234", "type", "veth", "peer", "name", "vethwepg1234");
        TempNetns.Ip("-n", ns.Name, "link", "add", "other0", "type", "bridge");

        IReadOnlyList<string> removed = ns.Run(() =>
        {
            Assert.True(NftCommand.TryFind(out NftCommand? nft));
            nft!.Apply("add table ip weave\nadd table ip weave-fastdp\nadd table ip other\n");
            IReadOnlyList<string> result = NodeReset.Run(paths);
            Assert.Null(nft.List("table ip weave"));
            Assert.Null(nft.List("table ip weave-fastdp"));
            Assert.NotNull(nft.List("table ip other"));
            using RouteNetlink netlink = RouteNetlink.Open();
            Assert.Equal(["lo", "other0"], netlink.ListLinks().Select(l => l.Name).Order(StringComparer.Ordinal));
            return result;
        });

        Assert.Contains("link weave", removed);
        Assert.Contains("nftables table ip weave", removed);
        Assert.Contains("nftables table ip weave-fastdp", removed);
        Assert.All(ours, f => Assert.False(File.Exists(f), f));
        Assert.All(theirs, f => Assert.True(File.Exists(f), f));
        Assert.Empty(ns.Run(() => NodeReset.Run(paths)));
    }
}

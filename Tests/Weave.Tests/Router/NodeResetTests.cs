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
        TempNetns.Ip("-n", ns.Name, "link", "add", "vxlan-6784", "type", "vxlan", "id", "6783", "dstport", "6784", "nolearning");
        TempNetns.Ip("-n", ns.Name, "link", "set", "vxlan-6784", "master", "weave");
        TempNetns.Ip("-n", ns.Name, "link", "add", "vxlan-7001", "type", "vxlan", "id", "7000", "dstport", "7001", "nolearning");
        // Not ours: a VXLAN device named otherwise, and a link of our name's form that is no VXLAN.
        TempNetns.Ip("-n", ns.Name, "link", "add", "vxlan-lab", "type", "vxlan", "id", "42", "dstport", "4789");
        TempNetns.Ip("-n", ns.Name, "link", "add", "vxlan-4789", "type", "bridge");

        IReadOnlyList<string> removed = ns.Run(() =>
        {
            Assert.True(NftCommand.TryFind(out NftCommand? nft));
            nft!.Apply("add table ip weave\nadd table ip weave-fastdp\nadd table ip other\n");
            IReadOnlyList<string> result = NodeReset.Run(paths);
            Assert.Null(nft.List("table ip weave"));
            Assert.Null(nft.List("table ip weave-fastdp"));
            Assert.NotNull(nft.List("table ip other"));
            using RouteNetlink netlink = RouteNetlink.Open();
            Assert.Equal(["lo", "other0", "vxlan-4789", "vxlan-lab"], netlink.ListLinks().Select(l => l.Name).Order(StringComparer.Ordinal));
            return result;
        });

        Assert.Contains("link weave", removed);
        Assert.Contains("link vxlan-6784", removed);
        Assert.Contains("link vxlan-7001", removed);
        Assert.True(removed.ToList().IndexOf("link vxlan-6784") < removed.ToList().IndexOf("link weave"), "the VXLAN device goes before the bridge");
        Assert.Contains("nftables table ip weave", removed);
        Assert.Contains("nftables table ip weave-fastdp", removed);
        Assert.All(ours, f => Assert.False(File.Exists(f), f));
        Assert.All(theirs, f => Assert.True(File.Exists(f), f));
        Assert.Empty(ns.Run(() => NodeReset.Run(paths)));
    }

    [Theory]
    [InlineData("vxlan-6784", "vxlan", true)]
    [InlineData("vxlan-7001", "vxlan", true)]
    [InlineData("vxlan-lab", "vxlan", false)]
    [InlineData("vxlan-", "vxlan", false)]
    [InlineData("vxlan-70000", "vxlan", false)]
    [InlineData("vxlan-+1", "vxlan", false)]
    [InlineData("vxlan-6784", "bridge", false)]
    [InlineData("vxlan-6784", null, false)]
    [InlineData("flannel.1", "vxlan", false)]
    public void IsFastPathDevice_ByKindAndName(string name, string? kind, bool ours) =>
        Assert.Equal(ours, NodeReset.IsFastPathDevice(new LinkInfo(3, name, kind, 1500, false, 0, new byte[6])));
}

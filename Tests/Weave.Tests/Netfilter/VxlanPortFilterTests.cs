using System.Net;
using Weave.Linux.Nftables;
using Weave.Router.Netfilter;
using Xunit;

namespace Weave.Tests.Netfilter;

/// <summary>The fast path's data-port filter: the scripts it gives nft.</summary>
public sealed class VxlanPortFilterTests
{
    private readonly RecordingNftables _nft = new();

    private static IPAddress Ip(string text) => IPAddress.Parse(text);

    private static string Table(string elements) =>
        "add table ip weave-fastdp\n" +
        "delete table ip weave-fastdp\n" +
        "table ip weave-fastdp {\n" +
        $"\tcomment \"{VxlanPortFilter.Comment}\"\n" +
        "\tset clear_peers {\n\t\ttype ipv4_addr\n" + elements + "\t}\n" +
        "\tchain input {\n\t\ttype filter hook input priority filter - 10; policy accept;\n" +
        "\t\tudp dport 6784 ip saddr != @clear_peers counter drop\n" +
        "\t}\n" +
        "}\n";

    [Fact]
    public void Install_ReplacesTheTableWhole_WithAnEmptySet()
    {
        new VxlanPortFilter(_nft, 6784).Install();
        Assert.Equal([Table("")], _nft.Applied);
    }

    [Fact]
    public void Install_WithPeers_AdmitsThemFromTheStart_AndKeepsThemForTheNextInstall()
    {
        var filter = new VxlanPortFilter(_nft, 6784);
        filter.Install([IPAddress.Parse("10.0.0.2"), IPAddress.Parse("10.0.0.1")]);
        filter.Install();
        Assert.Equal([Table("\t\telements = { 10.0.0.1, 10.0.0.2 }\n"), Table("\t\telements = { 10.0.0.1, 10.0.0.2 }\n")], _nft.Applied);
        Assert.Throws<ArgumentException>(() => filter.Install([IPAddress.IPv6Loopback]));
    }

    [Fact]
    public void Install_Twice_GivesTheSameScript()
    {
        var filter = new VxlanPortFilter(_nft, 6784);
        filter.Install();
        filter.Install();
        Assert.Equal(2, _nft.Applied.Count);
        Assert.Equal(_nft.Applied[0], _nft.Applied[1]);
    }

    [Fact]
    public void SetPeers_FlushesAndAdds_InOneScript_OnceEachInAddressOrder()
    {
        var filter = new VxlanPortFilter(_nft, 6784);
        filter.SetPeers([Ip("10.0.0.20"), Ip("10.0.0.3"), Ip("10.0.0.20"), Ip("192.168.1.1")]);
        Assert.Equal(["flush set ip weave-fastdp clear_peers\nadd element ip weave-fastdp clear_peers { 10.0.0.3, 10.0.0.20, 192.168.1.1 }\n"], _nft.Applied);
        Assert.Equal([Ip("10.0.0.3"), Ip("10.0.0.20"), Ip("192.168.1.1")], filter.Peers);
    }

    [Fact]
    public void SetPeers_None_OnlyFlushes()
    {
        new VxlanPortFilter(_nft, 6784).SetPeers([]);
        Assert.Equal(["flush set ip weave-fastdp clear_peers\n"], _nft.Applied);
    }

    [Fact]
    public void Install_AfterSetPeers_KeepsThePeers()
    {
        // A table someone removed comes back as it was, not closed to every neighbour.
        var filter = new VxlanPortFilter(_nft, 6784);
        filter.SetPeers([Ip("10.0.0.2"), Ip("10.0.0.1")]);
        filter.Install();
        Assert.Equal(Table("\t\telements = { 10.0.0.1, 10.0.0.2 }\n"), _nft.Applied[^1]);
    }

    [Theory]
    [InlineData("fd00::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void SetPeers_NotIPv4_IsRefused_AndNothingApplied(string address)
    {
        var filter = new VxlanPortFilter(_nft, 6784);
        ArgumentException e = Assert.Throws<ArgumentException>(() => filter.SetPeers([Ip("10.0.0.1"), Ip(address)]));
        Assert.Contains("IPv4", e.Message, StringComparison.Ordinal);
        Assert.Empty(_nft.Applied);
        Assert.Empty(filter.Peers);
    }

    [Fact]
    public void SetPeers_NftRefuses_KeepsThePeersBefore()
    {
        var filter = new VxlanPortFilter(_nft, 6784);
        filter.SetPeers([Ip("10.0.0.1")]);
        _nft.FailNext = true;
        Assert.Throws<NftablesException>(() => filter.SetPeers([Ip("10.0.0.2")]));
        Assert.Equal([Ip("10.0.0.1")], filter.Peers);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public void Constructor_PortOutOfRange_IsRefused(int port) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new VxlanPortFilter(_nft, port));

    [Fact]
    public void Remove_TablePresent_DeletesIt_AndSaysSo()
    {
        _nft.Tables["table ip weave-fastdp"] = "table ip weave-fastdp {\n}\n";
        Assert.Equal(["nftables table ip weave-fastdp"], VxlanPortFilter.Remove(_nft));
        Assert.Equal(["delete table ip weave-fastdp\n"], _nft.Applied);
    }

    [Fact]
    public void Remove_NoTable_DoesNothing()
    {
        Assert.Empty(VxlanPortFilter.Remove(_nft));
        Assert.Empty(_nft.Applied);
    }
}

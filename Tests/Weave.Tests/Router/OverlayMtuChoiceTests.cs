using System.Net;
using System.Net.Sockets;
using Weave.Gossip;
using Weave.Router.DataPlane;
using Weave.Router.Launch;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>How the overlay MTU is chosen: <c>--mtu</c>, else the underlay link found by route,
/// by <c>--host</c> or by the default route, less the encapsulation overhead; else assumed.</summary>
public sealed class OverlayMtuChoiceTests
{
    private static readonly UnderlayLink s_eth0 = new("eth0", 1500);
    private static readonly UnderlayLink s_jumbo = new("eth1", 9000);

    [Fact]
    public void Overhead_IsVxlanOrSleeveWhicheverIsLarger_OverIPv4()
    {
        Assert.Equal(20 + 8 + 14 + 14, OverlayMtu.OverheadBytes);
        Assert.Equal(1444, OverlayMtu.FromUnderlay(1500));
        Assert.Equal(8944, OverlayMtu.FromUnderlay(9000));
        Assert.Equal(65_507 - 14 - 24 - 14, OverlayMtu.Max); // a sealed frame of this size still fits a datagram
        Assert.Equal(OverlayMtu.Max, OverlayMtu.FromUnderlay(65_536)); // a loopback underlay
    }

    [Fact]
    public void SealedOverhead_AddsTheEpochCounterAndTag()
    {
        Assert.Equal(56 + 8 + 16, OverlayMtu.SealedOverheadBytes);
        Assert.Equal(1420, OverlayMtu.FromUnderlay(1500, sealedData: true));
        Assert.Equal(8920, OverlayMtu.FromUnderlay(9000, sealedData: true));
    }

    [Fact]
    public void Choose_WithPassword_LeavesRoomForSealing()
    {
        var links = new Links { Default = s_eth0 };

        OverlayMtuChoice choice = OverlayMtuChoice.Choose(Options() with { Password = "s3cret"u8.ToArray() }, links);

        Assert.Equal(1420, choice.Mtu);
        Assert.Equal("eth0 (the default route) has MTU 1500, less 80 bytes of encapsulation", choice.Origin);
    }

    [Fact]
    public void Choose_WithMtuFlag_TakesItWithoutAskingTheKernel()
    {
        OverlayMtuChoice choice = OverlayMtuChoice.Choose(Options(mtu: 1376, peers: ["10.0.0.2"]), new Links());

        Assert.Equal(new OverlayMtuChoice(1376, "--mtu", Assumed: false), choice);
    }

    [Fact]
    public void Choose_FirstTargetGivenAsAnAddress_UsesTheLinkOfItsRoute()
    {
        var links = new Links { Routes = { [IPAddress.Parse("10.0.0.2")] = s_jumbo } };

        OverlayMtuChoice choice = OverlayMtuChoice.Choose(Options(peers: ["node-b", "10.0.0.2", "10.0.0.3"]), links);

        Assert.Equal(8944, choice.Mtu);
        Assert.False(choice.Assumed);
        Assert.Equal("eth1 (the route to 10.0.0.2) has MTU 9000, less 56 bytes of encapsulation", choice.Origin);
        Assert.Equal([IPAddress.Parse("10.0.0.2")], links.Asked); // names are not resolved; later targets are not asked
    }

    [Fact]
    public void Choose_NoRouteToTheTarget_FallsBackToTheLinkHoldingHost()
    {
        var links = new Links { Holders = { [IPAddress.Parse("192.168.1.5")] = s_jumbo }, Default = s_eth0 };

        OverlayMtuChoice choice = OverlayMtuChoice.Choose(Options(host: "192.168.1.5", peers: ["10.0.0.2"]), links);

        Assert.Equal(8944, choice.Mtu);
        Assert.Contains("holding --host 192.168.1.5", choice.Origin, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_NoTargetNoHost_UsesTheDefaultRoutesLink()
    {
        OverlayMtuChoice choice = OverlayMtuChoice.Choose(Options(), new Links { Default = s_eth0 });

        Assert.Equal(1444, choice.Mtu);
        Assert.Equal("eth0 (the default route) has MTU 1500, less 56 bytes of encapsulation", choice.Origin);
    }

    [Fact]
    public void Choose_NothingFound_Assumes1500AndSaysSo()
    {
        OverlayMtuChoice choice = OverlayMtuChoice.Choose(Options(host: "192.168.1.5", peers: ["10.0.0.2"]), new Links());

        Assert.Equal(1444, choice.Mtu);
        Assert.True(choice.Assumed);
        Assert.Contains("assumed an underlay MTU of 1500", choice.Origin, StringComparison.Ordinal);
        Assert.Contains("--mtu", choice.Origin, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_UnderlayTooSmall_FailsNamingTheLinkAndTheFlag()
    {
        var links = new Links { Default = new UnderlayLink("tun0", 600) };

        string error = Assert.Throws<LaunchException>(() => OverlayMtuChoice.Choose(Options(), links)).Message;

        Assert.Contains("tun0", error, StringComparison.Ordinal);
        Assert.Contains("MTU 600", error, StringComparison.Ordinal);
        Assert.Contains("--mtu", error, StringComparison.Ordinal);
    }

    private static RouterOptions Options(int? mtu = null, string? host = null, params string[] peers) => new()
    {
        NickName = "a",
        Mtu = mtu,
        Host = host is null ? IPAddress.Any : IPAddress.Parse(host),
        Peers = [.. peers.Select(p => new PeerAddress(p, 6783))],
    };

    /// <summary>Answers from dictionaries; records the route lookups it was asked for.</summary>
    private sealed class Links : IUnderlayLinks
    {
        public Dictionary<IPAddress, UnderlayLink> Routes { get; } = [];

        public Dictionary<IPAddress, UnderlayLink> Holders { get; } = [];

        public UnderlayLink? Default { get; init; }

        public List<IPAddress> Asked { get; } = [];

        public UnderlayLink? RouteTo(IPAddress destination)
        {
            Asked.Add(destination);
            return Routes.GetValueOrDefault(destination);
        }

        public UnderlayLink? Holding(IPAddress address) => Holders.GetValueOrDefault(address);

        public UnderlayLink? DefaultRoute(AddressFamily family) => family == AddressFamily.InterNetwork ? Default : null;
    }
}

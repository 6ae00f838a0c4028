using System.Net;
using Weave.Gossip;
using Weave.Router.Launch;
using Weave.Gossip.Mesh;
using Weave.Router.Mesh;
using Xunit;

namespace Weave.Tests.Router;

public sealed class LaunchOptionsTests
{
    private static RouterOptions From(
        string? name = null, string? nickname = "host-a", int port = RouterOptions.DefaultPort, string? host = null,
        int mtu = RouterOptions.DefaultMtu, string? httpAddr = null, params string[] peers) =>
        LaunchOptions.From(name, nickname, port, host, mtu, httpAddr, peers);

    private static string Error(Func<RouterOptions> from) => Assert.Throws<LaunchException>(from).Message;

    [Fact]
    public void From_Defaults_AreWeaveNets()
    {
        RouterOptions options = From();
        Assert.Equal(6783, options.Port);
        Assert.Equal(6784, options.DataPort);
        Assert.Equal(1376, options.Mtu);
        Assert.Equal(6783, options.Vni);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 6784), options.HttpEndPoint);
        Assert.Equal(IPAddress.Any, options.Host);
        Assert.Equal("host-a", options.NickName);
        Assert.Empty(options.Peers);
        Assert.Equal("weave", options.Bridge);
    }

    [Fact]
    public void From_NoName_RandomLocallyAdministeredUnicastName()
    {
        byte[] bytes = new byte[PeerName.SizeBytes];
        From().Name.WriteBytes(bytes);
        Assert.Equal(0x02, bytes[0] & 0x03);
    }

    [Fact]
    public void From_NoNickname_UsesMachineName()
    {
        Assert.Equal(Environment.MachineName, From(nickname: null).NickName);
        Assert.Equal(Environment.MachineName, From(nickname: "  ").NickName);
    }

    [Fact]
    public void From_AllValuesGiven_AreKept()
    {
        RouterOptions options = From("5e:1a:00:00:00:01", "n1", 7000, "192.0.2.1", 9000, "0.0.0.0:8080", "10.0.0.2", "host-b:7100", "[fd00::2]");
        Assert.Equal(new PeerName(0x5e1a00000001), options.Name);
        Assert.Equal(7000, options.Port);
        Assert.Equal(7001, options.DataPort);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), options.Host);
        Assert.Equal(9000, options.Mtu);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 8080), options.HttpEndPoint);
        // Peers without a port get the router's own port.
        Assert.Equal([new PeerAddress("10.0.0.2", 7000), new PeerAddress("host-b", 7100), new PeerAddress("fd00::2", 7000)], options.Peers);
    }

    [Theory]
    [InlineData("5e:1a:00:00:00")]
    [InlineData("zz:1a:00:00:00:01")]
    [InlineData("")]
    public void From_InvalidName_NamesFlagAndValue(string name)
    {
        string message = Error(() => From(name: name));
        Assert.Contains($"invalid --name '{name}'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(65535)]
    [InlineData(70000)]
    public void From_PortOutOfRange_NamesFlagAndValue(int port)
    {
        string message = Error(() => From(port: port));
        Assert.Contains($"invalid --port {port}", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(65534)]
    public void From_PortAtBounds_Accepted(int port)
    {
        Assert.Equal(port + 1, From(port: port).DataPort);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(575)]
    [InlineData(65536)]
    public void From_MtuOutOfRange_NamesFlagAndValue(int mtu)
    {
        Assert.Contains($"invalid --mtu {mtu}", Error(() => From(mtu: mtu)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("fd00::1")]
    [InlineData("10.0.0.1:6783")]
    public void From_InvalidHost_NamesFlagAndValue(string host)
    {
        Assert.Contains($"invalid --host '{host}'", Error(() => From(host: host)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("localhost:6784")]
    [InlineData(":6784")]
    [InlineData("127.0.0.1:65536")]
    public void From_InvalidHttpAddr_NamesFlagAndValue(string httpAddr)
    {
        Assert.Contains($"invalid --http-addr '{httpAddr}'", Error(() => From(httpAddr: httpAddr)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-x")]
    public void From_PeerLooksLikeAFlag_UnknownFlag(string peer)
    {
        string message = Error(() => From(peers: ["10.0.0.2", peer]));
        Assert.Contains($"unknown flag '{peer}'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_InvalidPeer_ErrorNamesIt()
    {
        Assert.Contains("'not_a_host:99999'", Error(() => From(peers: ["not_a_host:99999"])), StringComparison.Ordinal);
    }

    [Fact]
    public void From_OverlongNickname_Fails()
    {
        Assert.Contains("--nickname", Error(() => From(nickname: new string('n', 256))), StringComparison.Ordinal);
    }
}

using System.Net;
using Weave.Gossip;
using Weave.Router.Launch;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

public sealed class LaunchOptionsTests
{
    private const string MachineIdPath = "/etc/machine-id";
    private readonly MemoryIdentityFiles _files = new();

    private RouterOptions From(
        string? name = null, string? nickname = "host-a", int port = RouterOptions.DefaultPort, string? host = null,
        int? mtu = null, string? httpAddr = null, params string[] peers) =>
        From(new LaunchFlags { Name = name, NickName = nickname, Port = port, Host = host, Mtu = mtu, HttpAddr = httpAddr, Peers = peers });

    private RouterOptions From(LaunchFlags flags) =>
        LaunchOptions.From(flags, new PeerNameSource(_files, MachineIdPath, new Random(7)));

    private static string Error(Func<RouterOptions> from) => Assert.Throws<LaunchException>(from).Message;

    [Fact]
    public void From_Defaults_AreWeaveNets()
    {
        RouterOptions options = From();
        Assert.Equal(6783, options.Port);
        Assert.Equal(6784, options.DataPort);
        Assert.Null(options.Mtu); // derived from the underlay at start
        Assert.Equal(6783, options.Vni);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 6784), options.HttpEndPoint);
        Assert.Equal(IPAddress.Any, options.Host);
        Assert.Equal("host-a", options.NickName);
        Assert.Empty(options.Peers);
        Assert.Equal("weave", options.Bridge);
        Assert.Equal("/var/lib/weave", options.DataDirectory);
        Assert.Equal(200, options.ConnectionLimit);
        Assert.True(options.Discovery);
        Assert.True(options.FastDp);
    }

    [Fact]
    public void From_NoName_NoMachineId_RandomLocallyAdministeredUnicastName_Saved()
    {
        RouterOptions options = From();
        byte[] bytes = new byte[PeerName.SizeBytes];
        options.Name.WriteBytes(bytes);
        Assert.Equal(0x02, bytes[0] & 0x03);
        Assert.Equal(PeerNameOrigin.Random, options.NameOrigin);
        Assert.Equal(options.Name + "\n", _files.Files["/var/lib/weave/peer-name"]);
    }

    [Fact]
    public void From_NoName_WithMachineId_DerivedFromIt()
    {
        const string machineId = "0123456789abcdef0123456789abcdef";
        _files.Files[MachineIdPath] = machineId + "\n";
        RouterOptions options = From();
        Assert.Equal(PeerNameSource.FromMachineId(machineId), options.Name);
        Assert.Equal(PeerNameOrigin.MachineId, options.NameOrigin);
    }

    [Fact]
    public void From_NameGiven_NoFileTouched()
    {
        RouterOptions options = From(name: "5e:1a:00:00:00:01");
        Assert.Equal(PeerNameOrigin.Flag, options.NameOrigin);
        Assert.Empty(_files.Writes);
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
        RouterOptions options = From(new LaunchFlags
        {
            Name = "5e:1a:00:00:00:01",
            NickName = "n1",
            Port = 7000,
            Host = "192.0.2.1",
            Mtu = 9000,
            HttpAddr = "0.0.0.0:8080",
            DataDir = "/tmp/weave-data",
            ConnLimit = 0,
            NoDiscovery = true,
            NoFastDp = true,
            Peers = ["10.0.0.2", "host-b:7100", "[fd00::2]"],
        });
        Assert.Equal(new PeerName(0x5e1a00000001), options.Name);
        Assert.Equal(7000, options.Port);
        Assert.Equal(7001, options.DataPort);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), options.Host);
        Assert.Equal(9000, options.Mtu);
        Assert.Equal(new IPEndPoint(IPAddress.Any, 8080), options.HttpEndPoint);
        Assert.Equal("/tmp/weave-data", options.DataDirectory);
        Assert.Equal(0, options.ConnectionLimit);
        Assert.False(options.Discovery);
        Assert.False(options.FastDp);
        // Peers without a port get the router's own port.
        Assert.Equal([new PeerAddress("10.0.0.2", 7000), new PeerAddress("host-b", 7100), new PeerAddress("fd00::2", 7000)], options.Peers);
    }

    [Fact]
    public void From_RelativeDataDir_MadeAbsolute_NameSavedThere()
    {
        RouterOptions options = From(new LaunchFlags { NickName = "n", DataDir = "state/weave" });
        string expected = Path.GetFullPath("state/weave");
        Assert.Equal(expected, options.DataDirectory);
        Assert.Equal([Path.Combine(expected, "peer-name")], _files.Writes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a\0b")]
    public void From_InvalidDataDir_NamesFlag(string dataDir)
    {
        Assert.Contains("invalid --data-dir", Error(() => From(new LaunchFlags { DataDir = dataDir })), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void From_NegativeConnLimit_NamesFlagAndValue(int limit)
    {
        Assert.Contains($"invalid --conn-limit {limit}", Error(() => From(new LaunchFlags { ConnLimit = limit })), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100000)]
    public void From_ConnLimitZeroOrMore_Kept(int limit)
    {
        Assert.Equal(limit, From(new LaunchFlags { ConnLimit = limit }).ConnectionLimit);
    }

    [Fact]
    public void From_BadFlag_NoPeerNameSaved()
    {
        _ = Error(() => From(new LaunchFlags { ConnLimit = -1 }));
        _ = Error(() => From(port: 0));
        Assert.Empty(_files.Writes);
    }

    [Theory]
    [InlineData("5e:1a:00:00:00")]
    [InlineData("zz:1a:00:00:00:01")]
    [InlineData("")]
    [InlineData("00:00:00:00:00:00")]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("01:00:5e:00:00:01")]
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
    [InlineData(65456)]
    [InlineData(65536)]
    public void From_MtuOutOfRange_NamesFlagValueAndRange(int mtu)
    {
        string error = Error(() => From(mtu: mtu));
        Assert.Contains($"invalid --mtu {mtu}", error, StringComparison.Ordinal);
        Assert.Contains("expected 576 to 65455", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(576)]
    [InlineData(1444)]
    [InlineData(65455)]
    public void From_MtuInRange_IsKept(int mtu)
    {
        Assert.Equal(mtu, From(mtu: mtu).Mtu);
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
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData("localhost:6782")]
    [InlineData("Off")]
    [InlineData("127.0.0.1:65536")]
    public void From_InvalidMetricsAddr_NamesFlagAndValue(string metricsAddr)
    {
        Assert.Equal($"invalid --metrics-addr '{metricsAddr}': expected ip:port, or off", Error(() => From(new LaunchFlags { MetricsAddr = metricsAddr })));
    }

    [Fact]
    public void From_MetricsAddr_DefaultsToLoopback6782_OffOrEmptyDisables_ElseParsed()
    {
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 6782), From(new LaunchFlags()).MetricsEndPoint);
        Assert.Null(From(new LaunchFlags { MetricsAddr = "off" }).MetricsEndPoint);
        Assert.Null(From(new LaunchFlags { MetricsAddr = "" }).MetricsEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("0.0.0.0"), 9100), From(new LaunchFlags { MetricsAddr = "0.0.0.0:9100" }).MetricsEndPoint);
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

    [Theory]
    [InlineData("10.32.0.1/12", null, null, "invalid --ipalloc-range '10.32.0.1/12'")]
    [InlineData("10.32.0.0", null, null, "invalid --ipalloc-range '10.32.0.0'")]
    [InlineData("10.32.0.0/31", null, null, "/30")]
    [InlineData(null, "10.99.0.0/24", null, "--ipalloc-default-subnet 10.99.0.0/24 must lie inside --ipalloc-range 10.32.0.0/12")]
    [InlineData(null, "10.32.0.0/31", null, "at least 4 addresses")]
    [InlineData(null, null, "consensus=0", "invalid --ipalloc-init")]
    [InlineData(null, null, "seed=nobody", "'nobody' is not a peer name")]
    [InlineData(null, null, "quorum", "invalid --ipalloc-init")]
    public void Ipalloc_BadValues_AreRefused_NamingTheFlag(string? range, string? subnet, string? init, string expected)
    {
        string error = Error(() => From(new LaunchFlags { IpallocRange = range, IpallocDefaultSubnet = subnet, IpallocInit = init }));

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ipalloc_Defaults_AreWeaves_AndConsensusCountsTheTargetsAndUs()
    {
        RouterOptions options = From(new LaunchFlags { Peers = ["10.0.0.2", "10.0.0.3"] });

        Assert.Equal("10.32.0.0/12", options.IpamRange.ToString());
        Assert.Null(options.IpamDefaultSubnet);
        Assert.Equal("consensus=3", options.EffectiveIpamInit.ToString());
    }

    [Fact]
    public void Ipalloc_GivenValues_AreKept()
    {
        RouterOptions options = From(new LaunchFlags { IpallocRange = "10.0.0.0/16", IpallocDefaultSubnet = "10.0.4.0/24", IpallocInit = "seed=02:00:00:00:00:01,02:00:00:00:00:02" });

        Assert.Equal("10.0.0.0/16", options.IpamRange.ToString());
        Assert.Equal("10.0.4.0/24", options.IpamDefaultSubnet.ToString());
        Assert.Equal("seed=02:00:00:00:00:01,02:00:00:00:00:02", options.EffectiveIpamInit.ToString());
    }
}

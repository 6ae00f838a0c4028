using System.Net;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Router.Launch;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

public sealed class LaunchEnvironmentTests
{
    private readonly MemoryIdentityFiles _files = new();

    private RouterOptions Launch(IReadOnlyDictionary<string, string> environment, LaunchFlags? flags = null, IReadOnlySet<string>? given = null, bool kubernetes = false)
    {
        LaunchFlags fromEnvironment = LaunchEnvironment.Read(n => environment.GetValueOrDefault(n), kubernetes);
        LaunchFlags merged = LaunchEnvironment.Merge(flags ?? new LaunchFlags { NickName = "host" }, given ?? new HashSet<string>(), fromEnvironment);
        return LaunchOptions.From(merged, new PeerNameSource(_files, "/etc/machine-id", new Random(7)));
    }

    private string Error(IReadOnlyDictionary<string, string> environment) => Assert.Throws<LaunchException>(() => Launch(environment)).Message;

    [Fact]
    public void WeaveKubeVariables_FillTheOptions()
    {
        RouterOptions options = Launch(new Dictionary<string, string>
        {
            ["IPALLOC_RANGE"] = "10.40.0.0/16",
            ["IPALLOC_INIT"] = "consensus=3",
            ["WEAVE_MTU"] = "1400",
            ["CONN_LIMIT"] = "30",
            ["WEAVE_METRICS_ADDR"] = "0.0.0.0:6782",
            ["WEAVE_STATUS_ADDR"] = "127.0.0.1:6785",
            ["WEAVE_HTTP_ADDR"] = "127.0.0.1:7000",
            ["KUBE_PEERS"] = "10.0.0.2 10.0.0.3:7783",
            ["WEAVE_PASSWORD"] = "secret",
            ["CHECKPOINT_DISABLE"] = "1",
        });
        Assert.Equal(Cidr.Parse("10.40.0.0/16"), options.IpamRange);
        Assert.Equal(IpamInit.Consensus(3), options.IpamInit);
        Assert.Equal(1400, options.Mtu);
        Assert.Equal(30, options.ConnectionLimit);
        Assert.Equal(IPEndPoint.Parse("0.0.0.0:6782"), options.MetricsEndPoint);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:6785"), options.StatusEndPoint);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:7000"), options.HttpEndPoint);
        Assert.Equal([new PeerAddress("10.0.0.2", 6783), new PeerAddress("10.0.0.3", 7783)], options.Peers);
        Assert.Equal("secret"u8.ToArray(), options.Password);
        Assert.False(options.NoMasqLocal);
    }

    [Fact]
    public void NothingSet_KeepsTheDefaults()
    {
        RouterOptions options = Launch(new Dictionary<string, string>());
        Assert.Equal(RouterOptions.DefaultIpamRange, options.IpamRange);
        Assert.Equal(RouterOptions.DefaultConnectionLimit, options.ConnectionLimit);
        Assert.Equal(RouterOptions.DefaultMetricsEndPoint, options.MetricsEndPoint);
        Assert.Null(options.StatusEndPoint);
        Assert.Empty(options.Peers);
    }

    [Fact]
    public void FlagGivenOnTheCommandLine_WinsOverItsVariable()
    {
        var flags = new LaunchFlags { NickName = "host", IpallocRange = "10.50.0.0/16", ConnLimit = 7, Peers = ["10.9.9.9"] };
        RouterOptions options = Launch(
            new Dictionary<string, string> { ["IPALLOC_RANGE"] = "not a range", ["CONN_LIMIT"] = "30", ["KUBE_PEERS"] = "10.0.0.2", ["WEAVE_MTU"] = "1400" },
            flags, new HashSet<string> { "--ipalloc-range", "--conn-limit", "PEER" });
        Assert.Equal(Cidr.Parse("10.50.0.0/16"), options.IpamRange);
        Assert.Equal(7, options.ConnectionLimit);
        Assert.Equal([new PeerAddress("10.9.9.9", 6783)], options.Peers);
        Assert.Equal(1400, options.Mtu); // not given as a flag: the variable's
    }

    [Theory]
    [InlineData("IPALLOC_RANGE", "10.0.0.0/33", "invalid IPALLOC_RANGE '10.0.0.0/33'")]
    [InlineData("IPALLOC_RANGE", "10.0.0.0/31", "invalid IPALLOC_RANGE 10.0.0.0/31 must be between /1 and /30")]
    [InlineData("IPALLOC_INIT", "consensus=many", "invalid IPALLOC_INIT")]
    [InlineData("WEAVE_MTU", "big", "invalid WEAVE_MTU 'big': expected a whole number")]
    [InlineData("WEAVE_MTU", "100", "invalid WEAVE_MTU 100")]
    [InlineData("CONN_LIMIT", "-1", "invalid CONN_LIMIT -1")]
    [InlineData("WEAVE_METRICS_ADDR", "everywhere", "invalid WEAVE_METRICS_ADDR 'everywhere'")]
    [InlineData("WEAVE_STATUS_ADDR", "127.0.0.1", "invalid WEAVE_STATUS_ADDR '127.0.0.1'")]
    [InlineData("KUBE_PEERS", "10.0.0.2 not_a_host:99999", "invalid KUBE_PEERS")]
    [InlineData("WEAVE_EXPOSE_IP", "192.168.1.1", "invalid WEAVE_EXPOSE_IP '192.168.1.1': expected an IPv4 address inside the range 10.32.0.0/12")]
    [InlineData("WEAVE_PASSWORD_FILE", "/nonexistent/password", "/nonexistent/password")]
    public void BadValue_IsRefusedNamingTheVariable(string variable, string value, string message) =>
        Assert.Contains(message, Error(new Dictionary<string, string> { [variable] = value }), StringComparison.Ordinal);

    [Fact]
    public void PasswordAndPasswordFileBothSet_IsRefused() =>
        Assert.Contains("not both", Error(new Dictionary<string, string> { ["WEAVE_PASSWORD"] = "a", ["WEAVE_PASSWORD_FILE"] = "/tmp/p" }), StringComparison.Ordinal);

    [Fact]
    public void PasswordFile_FromASecretMount_IsRead()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "from-secret\n");
            Assert.Equal("from-secret"u8.ToArray(), Launch(new Dictionary<string, string> { ["WEAVE_PASSWORD_FILE"] = file }).Password);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Kubernetes_NicknameIsTheNodeName_AndNoMasqLocalIsOnUnlessZero()
    {
        RouterOptions options = Launch(new Dictionary<string, string> { ["HOSTNAME"] = "node7" }, new LaunchFlags { Kubernetes = true }, kubernetes: true);
        Assert.Equal("node7", options.NickName);
        Assert.True(options.NoMasqLocal);
        Assert.True(options.Kubernetes);
        Assert.False(Launch(new Dictionary<string, string> { ["HOSTNAME"] = "node7", ["NO_MASQ_LOCAL"] = "0" }, new LaunchFlags { Kubernetes = true }, kubernetes: true).NoMasqLocal);
        // Outside Kubernetes, HOSTNAME is the shell's business, not the nickname.
        Assert.Equal("host", Launch(new Dictionary<string, string> { ["HOSTNAME"] = "node7" }).NickName);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("1", false)]
    [InlineData("true", false)]
    [InlineData("0", false)] // as weave's launch script: set at all means off
    public void WeaveNoFastDp_AnyNonEmptyValue_TurnsTheFastPathOff(string? value, bool fastDp)
    {
        var environment = new Dictionary<string, string>();
        if (value is not null)
        {
            environment["WEAVE_NO_FASTDP"] = value;
        }
        Assert.Equal(fastDp, Launch(environment).FastDp);
    }

    [Fact]
    public void NoFastDpFlag_WithoutTheVariable_TurnsTheFastPathOff() =>
        Assert.False(Launch(new Dictionary<string, string>(), new LaunchFlags { NickName = "host", NoFastDp = true }, new HashSet<string> { "--no-fastdp" }).FastDp);

    [Fact]
    public void WeaveNoFastDp_IsNoLongerIgnored()
    {
        Assert.DoesNotContain("WEAVE_NO_FASTDP", LaunchEnvironment.Ignored);
        Assert.Equal("--no-fastdp", LaunchEnvironment.Variables["WEAVE_NO_FASTDP"]);
    }

    [Theory]
    [InlineData(new[] { "launch", "--name", "x" }, "--conn-limit 5  --no-discovery", new[] { "launch", "--conn-limit", "5", "--no-discovery", "--name", "x" })]
    [InlineData(new[] { "status" }, "--conn-limit 5", new[] { "status" })]
    [InlineData(new[] { "launch" }, null, new[] { "launch" })]
    public void ExtraArgs_GoRightAfterLaunch(string[] args, string? extra, string[] expected) =>
        Assert.Equal(expected, LaunchEnvironment.WithExtraArgs(args, extra));
}

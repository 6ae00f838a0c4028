using System.Text;
using System.Text.Json;
using Weave.Cni;
using Weave.Cni.RouterApi;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Cni;

/// <summary>The plugin's entry point in-process: stdout carries only the spec's JSON, logs go to
/// stderr, every failure is an error JSON with its code and a non-zero exit.</summary>
public sealed class PluginTests
{
    private sealed record Run(int Exit, string Stdout, string Stderr)
    {
        public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;
    }

    private static Run Invoke(Dictionary<string, string> variables, string stdin, IRouterIpam? ipam = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = Plugin.Run(variables, Encoding.UTF8.GetBytes(stdin), stdout, stderr, ipam is null ? null : _ => ipam);
        return new Run(exit, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("""{"cniVersion":"1.0.0"}""")]
    [InlineData("""{"cniVersion":"0.4.0","name":"weave"}""")]
    [InlineData("garbage")]
    public void Version_WithDummyVariablesAndAnyStdin_ListsTheVersions(string stdin)
    {
        Run run = Invoke(new() { ["CNI_COMMAND"] = "VERSION", ["CNI_CONTAINERID"] = "dummy", ["CNI_NETNS"] = "dummy", ["CNI_IFNAME"] = "dummy", ["CNI_PATH"] = "dummy" }, stdin);

        Assert.Equal(0, run.Exit);
        Assert.Equal(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"], run.Json.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()));
        string expected = stdin.Contains("0.4.0", StringComparison.Ordinal) ? "0.4.0" : stdin.Contains("1.0.0", StringComparison.Ordinal) ? "1.0.0" : "1.1.0";
        Assert.Equal(expected, run.Json.GetProperty("cniVersion").GetString());
    }

    [Fact]
    public void Failure_IsErrorJsonOnStdoutInTheConfigsVersion_AndALogLineOnStderr()
    {
        Run run = Invoke(new() { ["CNI_COMMAND"] = "ADD", ["CNI_CONTAINERID"] = "abc", ["CNI_IFNAME"] = "eth0" }, """{"cniVersion":"0.4.0","name":"weave"}""");

        Assert.Equal(1, run.Exit);
        Assert.Equal("0.4.0", run.Json.GetProperty("cniVersion").GetString());
        Assert.Equal(4, run.Json.GetProperty("code").GetInt32());
        Assert.Contains("CNI_NETNS is not set", run.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, run.Stdout.Count(c => c == '\n'));
        Assert.Contains("error weave-net ADD abc: code 4", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_ContainerIdWithANewline_IsCode4_AndTheLogStaysOneLine()
    {
        Run run = Invoke(new() { ["CNI_COMMAND"] = "ADD", ["CNI_CONTAINERID"] = "abc\nerror forged", ["CNI_NETNS"] = "/var/run/netns/p", ["CNI_IFNAME"] = "eth0", ["CNI_PATH"] = "/opt/cni/bin" },
            """{"cniVersion":"1.0.0","name":"weave"}""");

        Assert.Equal(1, run.Exit);
        Assert.Equal(4, run.Json.GetProperty("code").GetInt32());
        Assert.Contains("CNI_CONTAINERID 'abc?error forged' is invalid", run.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, run.Stderr.Count(c => c == '\n'));
        Assert.Contains("weave-net ADD abc?error forged: code 4", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CHECK", "0.3.1", "CHECK is not part of CNI 0.3.1")]
    [InlineData("STATUS", "1.0.0", "STATUS is not part of CNI 1.0.0")]
    [InlineData("GC", "0.4.0", "GC is not part of CNI 0.4.0")]
    public void Command_NewerThanTheConfigsVersion_IsCode1(string command, string version, string message)
    {
        Run run = Invoke(new() { ["CNI_COMMAND"] = command, ["CNI_CONTAINERID"] = "abc", ["CNI_NETNS"] = "/x", ["CNI_IFNAME"] = "eth0" },
            $$"""{"cniVersion":"{{version}}","name":"weave"}""", new FakeRouterIpam());
        Assert.Equal(1, run.Json.GetProperty("code").GetInt32());
        Assert.Contains(message, run.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_WithoutPrevResult_IsCode7()
    {
        Run run = Invoke(new() { ["CNI_COMMAND"] = "CHECK", ["CNI_CONTAINERID"] = "abc", ["CNI_NETNS"] = "/x", ["CNI_IFNAME"] = "eth0" },
            """{"cniVersion":"1.0.0","name":"weave"}""", new FakeRouterIpam());
        Assert.Equal(7, run.Json.GetProperty("code").GetInt32());
        Assert.Contains("prevResult", run.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Status_IsCode50WithTheReasonWhenNotReady_ElseSilentSuccess()
    {
        var ipam = new FakeRouterIpam { NotReadyBecause = "IP allocation is not ready (the router answered 503: router is starting)" };
        var variables = new Dictionary<string, string> { ["CNI_COMMAND"] = "STATUS" };
        const string Config = """{"cniVersion":"1.1.0","name":"weave"}""";

        Run notReady = Invoke(variables, Config, ipam);
        Assert.Equal(50, notReady.Json.GetProperty("code").GetInt32());
        Assert.Contains("router is starting", notReady.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);

        ipam.NotReadyBecause = null;
        Run ready = Invoke(variables, Config, ipam);
        Assert.Equal(0, ready.Exit);
        Assert.Equal("", ready.Stdout);
    }

    [RootFact]
    public void Gc_ReleasesOnlyThisNetworksAllocationsMissingFromTheValidAttachments()
    {
        RootFactAttribute.Require();
        var ipam = new FakeRouterIpam();
        ipam.Allocate("keep", Meta("weave", "eth0"));
        ipam.Allocate("gone", Meta("weave", "eth0"));
        ipam.Allocate("keep", Meta("weave", "eth0"));
        ipam.Allocate("second-if", Meta("weave", "net1"));
        ipam.Allocate("other-net", Meta("other", "eth0"));
        ipam.Allocate("no-metadata", new Dictionary<string, string>());
        _ = ipam.ExposeBridge();
        var variables = new Dictionary<string, string> { ["CNI_COMMAND"] = "GC" };
        using var ns = new TempNetns(); // GC looks for the released pods' host veths: in a namespace of the test's own

        Run nothing = ns.Run(() => Invoke(variables, """{"cniVersion":"1.1.0","name":"weave"}""", ipam));
        Assert.Equal(0, nothing.Exit);
        Assert.Empty(ipam.Released);

        Run run = ns.Run(() => Invoke(variables, """
            {"cniVersion":"1.1.0","name":"weave","cni.dev/valid-attachments":[{"containerID":"keep","ifname":"eth0"},{"containerID":"second-if","ifname":"eth0"}]}
            """, ipam));
        Assert.Equal(0, run.Exit);
        Assert.Equal(["gone", "second-if"], ipam.Released.Order(StringComparer.Ordinal));
        Assert.Equal(["keep", "no-metadata", "other-net", "weave:expose"], ipam.Allocations.Keys.Order(StringComparer.Ordinal));

        // The older key some runtimes send works the same way.
        ipam.Allocate("late", Meta("weave", "eth0"));
        _ = ns.Run(() => Invoke(variables, """{"cniVersion":"1.1.0","name":"weave","cni.dev/attachments":[{"containerID":"keep","ifname":"eth0"}]}""", ipam));
        Assert.DoesNotContain("late", ipam.Allocations.Keys);
        Assert.Contains("keep", ipam.Allocations.Keys);
    }

    [RootFact]
    public void Add_NetnsThatIsNoNetworkNamespace_IsCode3NamingIt_AndNothingAllocated()
    {
        RootFactAttribute.Require();
        var ipam = new FakeRouterIpam();
        using var ns = new TempNetns(); // the plugin looks for the bridge first: one of the test's own
        TempNetns.Ip("-n", ns.Name, "link", "add", "weave", "type", "bridge");

        foreach ((string netns, string expected) in (ReadOnlySpan<(string, string)>)[
            ("/etc/passwd", "/etc/passwd is not a network namespace"),
            ("/proc/self/ns/mnt", "is a namespace, but not a network namespace"),
            ("/nonexistent/netns", "cannot open the network namespace CNI_NETNS=/nonexistent/netns")])
        {
            Run run = ns.Run(() => Invoke(new()
            {
                ["CNI_COMMAND"] = "ADD", ["CNI_CONTAINERID"] = "abc", ["CNI_NETNS"] = netns, ["CNI_IFNAME"] = "eth0", ["CNI_PATH"] = "/opt/cni/bin",
            }, """{"cniVersion":"1.0.0","name":"weave"}""", ipam));

            Assert.Equal(1, run.Exit);
            Assert.Equal(3, run.Json.GetProperty("code").GetInt32());
            Assert.Contains(expected, run.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
            Assert.Contains("CNI_NETNS=" + netns, run.Json.GetProperty("msg").GetString(), StringComparison.Ordinal);
            Assert.Empty(ipam.Allocations);
        }
    }

    private static Dictionary<string, string> Meta(string network, string ifName) => new()
    {
        [IRouterIpam.NetworkKey] = network,
        [IRouterIpam.IfNameKey] = ifName,
    };
}

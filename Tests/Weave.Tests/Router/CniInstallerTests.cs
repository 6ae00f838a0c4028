using System.Text.Json.Nodes;
using Weave.Router.Cli;
using Xunit;

namespace Weave.Tests.Router;

public sealed class CniInstallerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wv-install-cni-" + Guid.NewGuid().ToString("N")[..8]);

    public CniInstallerTests()
    {
        Directory.CreateDirectory(_root);
        File.WriteAllBytes(Source, [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3]);
    }

    private string Source => Path.Combine(_root, "weave-net");

    [Fact]
    public void Install_CopiesThePluginExecutableAndWritesTheConflist()
    {
        string bin = Path.Combine(_root, "opt", "cni", "bin");
        string legacy = Path.Combine(_root, "usr-lib-cni");
        Directory.CreateDirectory(legacy);
        string conf = Path.Combine(_root, "net.d");

        IReadOnlyList<string> written = CniInstaller.Install(Source, bin, legacy, conf);

        Assert.Equal([Path.Combine(bin, "weave-net"), Path.Combine(legacy, "weave-net"), Path.Combine(conf, "10-weave.conflist")], written);
        Assert.Equal(File.ReadAllBytes(Source), File.ReadAllBytes(Path.Combine(bin, "weave-net")));
        Assert.True(OperatingSystem.IsLinux() && File.GetUnixFileMode(Path.Combine(bin, "weave-net")).HasFlag(UnixFileMode.OtherExecute));
        Assert.Equal(["weave-net", "10-weave.conflist"], Directory.EnumerateFiles(bin).Concat(Directory.EnumerateFiles(conf)).Select(Path.GetFileName));

        JsonObject conflist = JsonNode.Parse(File.ReadAllText(Path.Combine(conf, "10-weave.conflist")))!.AsObject();
        Assert.Equal("weave", conflist["name"]!.GetValue<string>());
        Assert.Equal("1.0.0", conflist["cniVersion"]!.GetValue<string>());
        JsonArray plugins = conflist["plugins"]!.AsArray();
        Assert.Equal(["weave-net", "portmap"], plugins.Select(p => p!["type"]!.GetValue<string>()));
        Assert.True(plugins[1]!["capabilities"]!["portMappings"]!.GetValue<bool>());
    }

    [Fact]
    public void Install_SkipsALegacyDirectoryThatDoesNotExist()
    {
        IReadOnlyList<string> written = CniInstaller.Install(Source, Path.Combine(_root, "bin"), Path.Combine(_root, "absent"), Path.Combine(_root, "conf"));
        Assert.Equal(2, written.Count);
        Assert.False(Directory.Exists(Path.Combine(_root, "absent")));
    }

    [Fact]
    public void Install_WithoutThePlugin_SaysSoAndWritesNothing()
    {
        var e = Assert.Throws<CliException>(() => CniInstaller.Install(Path.Combine(_root, "missing"), Path.Combine(_root, "bin"), null, Path.Combine(_root, "conf")));
        Assert.Contains("missing does not exist", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "conf")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(null, true)]
    [InlineData("true", true)]
    [InlineData("FALSE", false)]
    [InlineData("0", false)]
    public void HairpinMode_FromTheEnvironment_GoesIntoTheConflist(string? value, bool hairpin)
    {
        Assert.Equal(hairpin, CniInstaller.HairpinFromEnvironment(value));
        JsonObject conflist = JsonNode.Parse(CniInstaller.Conflist(hairpin))!.AsObject();
        Assert.Equal(hairpin, conflist["plugins"]![0]!["hairpinMode"]!.GetValue<bool>());
    }

    [Fact]
    public void HairpinMode_Garbage_IsRefused() =>
        Assert.Contains("invalid HAIRPIN_MODE 'maybe'", Assert.Throws<CliException>(() => CniInstaller.HairpinFromEnvironment("maybe")).Message, StringComparison.Ordinal);
}

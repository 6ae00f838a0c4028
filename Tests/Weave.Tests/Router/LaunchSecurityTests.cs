using System.Net;
using System.Text;
using Weave.Router.Launch;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary><c>--password</c>, <c>--password-file</c>, <c>$WEAVE_PASSWORD</c> and <c>--trusted-subnets</c>.</summary>
public sealed class LaunchSecurityTests : IDisposable
{
    private readonly MemoryIdentityFiles _files = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("weave-password-").FullName;

    private RouterOptions From(LaunchFlags flags) =>
        LaunchOptions.From(flags with { NickName = "host-a", Name = "5e:1a:00:00:00:01" }, new PeerNameSource(_files, "/etc/machine-id", new Random(7)));

    private string Error(LaunchFlags flags) => Assert.Throws<LaunchException>(() => From(flags)).Message;

    private string WriteFile(string content)
    {
        string path = Path.Combine(_directory, "password");
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void NoPassword_NoEncryption()
    {
        RouterOptions options = From(new LaunchFlags());
        Assert.Null(options.Password);
        Assert.False(options.Encrypted);
        Assert.Empty(options.TrustedSubnets);
    }

    [Fact]
    public void PasswordFlag_WinsOverTheEnvironment()
    {
        RouterOptions options = From(new LaunchFlags { Password = "flag", EnvironmentPassword = "env" });
        Assert.Equal("flag"u8.ToArray(), options.Password);
        Assert.True(options.Encrypted);
    }

    [Fact]
    public void EnvironmentPassword_UsedWithoutFlags()
    {
        Assert.Equal("env"u8.ToArray(), From(new LaunchFlags { EnvironmentPassword = "env" }).Password);
        Assert.Null(From(new LaunchFlags { EnvironmentPassword = "" }).Password);
    }

    [Theory]
    [InlineData("pässword\n", "pässword")]
    [InlineData("secret\r\n", "secret")]
    [InlineData("two\nlines\n", "two\nlines")]
    [InlineData("no newline", "no newline")]
    public void PasswordFile_DropsOneTrailingNewline(string content, string expected)
    {
        RouterOptions options = From(new LaunchFlags { PasswordFile = WriteFile(content), EnvironmentPassword = "env" });
        Assert.Equal(Encoding.UTF8.GetBytes(expected), options.Password);
    }

    [Fact]
    public void BothFlags_AreRefused() =>
        Assert.Contains("not both", Error(new LaunchFlags { Password = "a", PasswordFile = WriteFile("b") }), StringComparison.Ordinal);

    [Fact]
    public void EmptyPassword_IsRefused()
    {
        Assert.Equal("invalid --password: the password is empty", Error(new LaunchFlags { Password = "" }));
        Assert.Contains("--password-file", Error(new LaunchFlags { PasswordFile = WriteFile("\n") }), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingPasswordFile_NamesIt()
    {
        string missing = Path.Combine(_directory, "nope");
        Assert.StartsWith($"cannot read --password-file {missing}", Error(new LaunchFlags { PasswordFile = missing }), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingPasswordFile_FromTheEnvironment_NamesTheVariable()
    {
        string missing = Path.Combine(_directory, "nope");
        var flags = new LaunchFlags
        {
            PasswordFile = missing,
            Sources = new Dictionary<string, string>(StringComparer.Ordinal) { ["--password-file"] = "WEAVE_PASSWORD_FILE" },
        };
        Assert.StartsWith($"cannot read WEAVE_PASSWORD_FILE {missing}", Error(flags), StringComparison.Ordinal);
    }

    [Fact]
    public void HugePassword_IsRefused() =>
        Assert.Contains("longer than 4096 bytes", Error(new LaunchFlags { PasswordFile = WriteFile(new string('x', 10_000)) }), StringComparison.Ordinal);

    [Fact]
    public void TrustedSubnets_ParsedAndKept()
    {
        RouterOptions options = From(new LaunchFlags { TrustedSubnets = "10.0.0.0/8, 192.168.1.0/24" });
        Assert.Equal([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("192.168.1.0/24")], options.TrustedSubnets);
    }

    [Theory]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/33")]
    [InlineData("fd00::/8")]
    [InlineData("10.0.0.0/8,,")]
    public void TrustedSubnets_Invalid_IsRefusedWithTheReason(string text) =>
        Assert.StartsWith($"invalid --trusted-subnets '{text}'", Error(new LaunchFlags { TrustedSubnets = text }), StringComparison.Ordinal);
}

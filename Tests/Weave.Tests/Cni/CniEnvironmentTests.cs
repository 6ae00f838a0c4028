using Weave.Cni.Spec;
using Xunit;

namespace Weave.Tests.Cni;

public sealed class CniEnvironmentTests
{
    private static Dictionary<string, string> Vars(string command, string id = "abc123", string netns = "/var/run/netns/p", string ifName = "eth0", string args = "") => new()
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = id,
        ["CNI_NETNS"] = netns,
        ["CNI_IFNAME"] = ifName,
        ["CNI_ARGS"] = args,
    };

    [Theory]
    [InlineData("", "CNI_COMMAND is not set")]
    [InlineData("ADDD", "CNI_COMMAND 'ADDD' is not one of")]
    public void Parse_BadCommand_IsCode4NamingIt(string command, string message)
    {
        var e = Assert.Throws<CniException>(() => CniEnvironment.Parse(Vars(command)));
        Assert.Equal(CniErrorCode.InvalidEnvironment, e.Code);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ADD", "", "/var/run/netns/p", "eth0", "CNI_CONTAINERID is not set")]
    [InlineData("ADD", "-bad", "/var/run/netns/p", "eth0", "CNI_CONTAINERID '-bad' is invalid")]
    [InlineData("ADD", "a/b", "/var/run/netns/p", "eth0", "CNI_CONTAINERID 'a/b' is invalid")]
    [InlineData("ADD", "abc\ndef", "/var/run/netns/p", "eth0", "CNI_CONTAINERID 'abc?def' is invalid")]
    [InlineData("ADD", "abc\u001b[31m", "/var/run/netns/p", "eth0", "CNI_CONTAINERID 'abc?[31m' is invalid")]
    [InlineData("ADD", "abc", "", "eth0", "CNI_NETNS is not set")]
    [InlineData("CHECK", "abc", "relative", "eth0", "CNI_NETNS 'relative' is not an absolute path")]
    [InlineData("ADD", "abc", "/var/run/netns/p", "", "CNI_IFNAME is not set")]
    [InlineData("DEL", "abc", "", "much-too-long-name0", "CNI_IFNAME 'much-too-long-name0' is not a valid interface name")]
    [InlineData("DEL", "abc", "", "a:b", "CNI_IFNAME 'a:b' is not a valid interface name")]
    public void Parse_MissingOrMalformedVariable_IsCode4NamingIt(string command, string id, string netns, string ifName, string message)
    {
        var e = Assert.Throws<CniException>(() => CniEnvironment.Parse(Vars(command, id, netns, ifName)));
        Assert.Equal(CniErrorCode.InvalidEnvironment, e.Code);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DelWithoutNetns_IsAccepted()
    {
        CniEnvironment env = CniEnvironment.Parse(Vars("DEL", netns: ""));
        Assert.Equal("", env.Netns);
        Assert.Equal("abc123", env.ContainerId);
    }

    [Theory]
    [InlineData("VERSION")]
    [InlineData("STATUS")]
    [InlineData("GC")]
    public void Parse_CommandsWithoutAttachment_NeedNoOtherVariable(string command)
    {
        CniEnvironment env = CniEnvironment.Parse(new Dictionary<string, string> { ["CNI_COMMAND"] = command });
        Assert.Equal(command, env.Command);
    }

    [Theory]
    [InlineData("IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1;K8S_POD_INFRA_CONTAINER_ID=c0ffee;K8S_POD_UID=0b1c")]
    [InlineData("K8S_POD_UID=0b1c;K8S_POD_NAME=web-1;IgnoreUnknown=true;K8S_POD_NAMESPACE=shop;")]
    [InlineData("K8S_POD_NAME=web-1;K8S_POD_NAMESPACE=shop;Unknown=x")]
    public void Args_InAnyOrderWithUnknownKeys_GivePodNamespaceAndName(string args)
    {
        CniEnvironment env = CniEnvironment.Parse(Vars("ADD", args: args));
        Assert.Equal("shop", env.Args.PodNamespace);
        Assert.Equal("web-1", env.Args.PodName);
    }

    [Theory]
    [InlineData("K8S_POD_NAME", "CNI_ARGS: 'K8S_POD_NAME' is not KEY=VALUE")]
    [InlineData("=x", "CNI_ARGS: '=x' is not KEY=VALUE")]
    public void Args_Malformed_IsCode4(string args, string message)
    {
        var e = Assert.Throws<CniException>(() => CniArgs.Parse(args));
        Assert.Equal(CniErrorCode.InvalidEnvironment, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Args_PodNameTooLong_IsCode4()
    {
        var e = Assert.Throws<CniException>(() => CniArgs.Parse("K8S_POD_NAME=" + new string('a', 254)));
        Assert.Contains("K8S_POD_NAME must be at most 253", e.Message, StringComparison.Ordinal);
    }
}

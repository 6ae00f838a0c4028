using System.Text;
using Weave.Cni.Spec;
using Xunit;

namespace Weave.Tests.Cni;

public sealed class NetworkConfigParserTests
{
    private static NetworkConfig Parse(string json) => NetworkConfigParser.Parse(Encoding.UTF8.GetBytes(json));

    private static CniException Fails(string json) => Assert.Throws<CniException>(() => Parse(json));

    [Fact]
    public void Parse_WhatContainerdSends_IsAccepted()
    {
        NetworkConfig config = Parse("""
            {"cniVersion":"1.0.0","name":"weave","type":"weave-net","hairpinMode":true,"mtu":1376,
             "capabilities":{"portMappings":true},
             "runtimeConfig":{"PortMappings":[{"HostPort":8080,"ContainerPort":80,"Protocol":"tcp"}],"Servers":["8.8.8.8"]},
             "somethingNew":{"nested":[1,2,3]}, /* a comment */ "ipMasq":false,}
            """);
        Assert.Equal("1.0.0", config.CniVersion);
        Assert.Equal("weave", config.Name);
        Assert.Equal(1376, config.Mtu);
        Assert.True(config.HairpinMode);
    }

    [Fact]
    public void Parse_GcAttachments_AreRead()
    {
        NetworkConfig config = Parse("""{"cniVersion":"1.1.0","name":"weave","cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}]}""");
        CniAttachment attachment = Assert.Single(config.ValidAttachments!);
        Assert.Equal("a", attachment.ContainerId);
        Assert.Equal("eth0", attachment.IfName);
        Assert.Null(config.Attachments);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    [InlineData("{\"cniVersion\":")]
    [InlineData("not json")]
    public void Parse_NotJson_IsCode6(string json) => Assert.Equal(CniErrorCode.DecodeFailure, Fails(json).Code);

    [Theory]
    [InlineData("""[1]""", "must be a JSON object")]
    [InlineData("""{"name":"weave"}""", "no cniVersion")]
    [InlineData("""{"cniVersion":"1.0.0"}""", "no name")]
    [InlineData("""{"cniVersion":"1.0.0","name":"we ave"}""", "network name 'we ave' is invalid")]
    [InlineData("""{"cniVersion":"1.0.0","name":"weave","mtu":"big"}""", "'mtu' has the wrong type (expected Int32)")]
    [InlineData("""{"cniVersion":"1.0.0","name":"weave","mtu":100}""", "mtu 100 is out of range")]
    [InlineData("""{"cniVersion":"1.0.0","name":"weave","hairpinMode":"yes"}""", "'hairpinMode' has the wrong type (expected Boolean)")]
    [InlineData("""{"cniVersion":"1.0.0","name":"weave","routerAddress":"localhost"}""", "routerAddress 'localhost' is not host:port")]
    [InlineData("""{"cniVersion":1,"name":"weave"}""", "'cniVersion' has the wrong type")]
    public void Parse_InvalidConfig_IsCode7NamingTheKey(string json, string message)
    {
        CniException e = Fails(json);
        Assert.Equal(CniErrorCode.InvalidConfig, e.Code);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.2.0")]
    [InlineData("2.0.0")]
    public void Parse_UnsupportedVersion_IsCode1(string version)
    {
        CniException e = Fails($$"""{"cniVersion":"{{version}}","name":"weave"}""");
        Assert.Equal(CniErrorCode.IncompatibleVersion, e.Code);
        Assert.Contains("0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"cniVersion":"1.0.0","name":"weave","isGateway":true}""", "isGateway")]
    [InlineData("""{"cniVersion":"1.0.0","name":"weave","ipMasq":true}""", "ipMasq")]
    [InlineData("""{"cniVersion":"1.0.0","name":"weave","ipam":{"type":"host-local"}}""", "ipam")]
    public void Parse_SettingsWeaveRefused_AreCode2(string json, string key)
    {
        CniException e = Fails(json);
        Assert.Equal(CniErrorCode.UnsupportedField, e.Code);
        Assert.StartsWith(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TooLarge_IsCode6()
    {
        byte[] big = new byte[NetworkConfigParser.MaxConfigBytes + 1];
        Assert.Equal(CniErrorCode.DecodeFailure, Assert.Throws<CniException>(() => NetworkConfigParser.Parse(big)).Code);
    }
}

using System.Net;
using System.Text.Json;
using Weave.Cni.RouterApi;
using Weave.Cni.Spec;
using Xunit;

namespace Weave.Tests.Cni;

/// <summary>The ADD result in the JSON shape each supported spec version defines.</summary>
public sealed class PodResultTests
{
    private static readonly PodResult.Attachment s_pod = new(
        "vethwepl1a2b3c4", [0x0e, 0, 0, 0, 0, 1], "eth0", [0x0e, 0, 0, 0, 0, 2], "/var/run/netns/pod",
        new CidrAddress(IPAddress.Parse("10.32.0.5"), 12), IPAddress.Parse("10.32.0.1"));

    public static TheoryData<string> Versions => [.. CniVersion.Supported];

    [Theory]
    [MemberData(nameof(Versions))]
    public void Build_HasTheSpecShapeOfItsVersion(string version)
    {
        using JsonDocument json = JsonDocument.Parse(JsonSerializer.Serialize(PodResult.Build(version, s_pod), CniJsonContext.Default.CniResult));
        JsonElement root = json.RootElement;

        Assert.Equal(["cniVersion", "interfaces", "ips", "routes", "dns"], Keys(root));
        Assert.Equal(version, root.GetProperty("cniVersion").GetString());

        JsonElement[] interfaces = [.. root.GetProperty("interfaces").EnumerateArray()];
        Assert.Equal(2, interfaces.Length);
        Assert.Equal(["name", "mac"], Keys(interfaces[0]));
        Assert.Equal(["name", "mac", "sandbox"], Keys(interfaces[1]));
        Assert.Equal("0e:00:00:00:00:02", interfaces[1].GetProperty("mac").GetString());
        Assert.Equal("/var/run/netns/pod", interfaces[1].GetProperty("sandbox").GetString());

        JsonElement ip = Assert.Single(root.GetProperty("ips").EnumerateArray());
        // 0.3.x and 0.4.0 require "version" on each IP; 1.0.0 removed it.
        string[] ipKeys = CniVersion.Compare(version, "1.0.0") < 0 ? ["version", "address", "gateway", "interface"] : ["address", "gateway", "interface"];
        Assert.Equal(ipKeys, Keys(ip));
        if (ipKeys[0] == "version")
        {
            Assert.Equal("4", ip.GetProperty("version").GetString());
        }
        Assert.Equal("10.32.0.5/12", ip.GetProperty("address").GetString());
        Assert.Equal("10.32.0.1", ip.GetProperty("gateway").GetString());
        Assert.Equal(1, ip.GetProperty("interface").GetInt32());

        JsonElement route = Assert.Single(root.GetProperty("routes").EnumerateArray());
        Assert.Equal("0.0.0.0/0", route.GetProperty("dst").GetString());
        Assert.Equal("10.32.0.1", route.GetProperty("gw").GetString());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("dns").ValueKind);
    }

    [Fact]
    public void Versions_AreTheOnesTheIssueAsksFor() =>
        Assert.Equal(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"], CniVersion.Supported);

    private static string[] Keys(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name)];
}

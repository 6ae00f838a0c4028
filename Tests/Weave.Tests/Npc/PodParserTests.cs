using System.Net;
using System.Text;
using Weave.Npc;
using Xunit;
using static Weave.Tests.Npc.Cluster;

namespace Weave.Tests.Npc;

public sealed class PodParserTests
{
    private const string Web = """
        {"apiVersion":"v1","kind":"Pod",
         "metadata":{"name":"web-1","namespace":"prod","labels":{"app":"web","pod-template-hash":"abc"},"annotations":{"x":"y"}},
         "spec":{"nodeName":"node-2","containers":[
             {"name":"web","image":"nginx","ports":[{"name":"http","containerPort":8080},{"containerPort":9090,"protocol":"UDP"}]},
             {"name":"side","ports":[{"name":"metrics","containerPort":9100,"protocol":"TCP"}]}],
           "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[]}}}},
         "status":{"phase":"Running","podIP":"10.32.0.5","podIPs":[{"ip":"10.32.0.5"},{"ip":"fd00::5"}]}}
        """;

    private static string Reason(string json)
    {
        Assert.False(PodParser.TryParse(Encoding.UTF8.GetBytes(json), out Pod? pod, out string reason));
        Assert.Null(pod);
        return reason;
    }

    [Fact]
    public void TryParse_ARunningPod_GivesLabelsAddressesNodeAndPorts()
    {
        Assert.True(PodParser.TryParse(Encoding.UTF8.GetBytes(Web), out Pod? pod, out string reason), reason);
        var expected = new Pod("prod", "web-1", L("app=web", "pod-template-hash=abc"), [IPAddress.Parse("10.32.0.5"), IPAddress.Parse("fd00::5")], "node-2", false,
            [new ContainerPort("http", 8080, PortProtocol.Tcp), new ContainerPort(null, 9090, PortProtocol.Udp), new ContainerPort("metrics", 9100, PortProtocol.Tcp)]);
        Assert.Equal(expected, pod);
    }

    [Fact]
    public void TryParse_OnlyPodIP_IsTheAddress_AndAPendingPodHasNone()
    {
        Assert.True(PodParser.TryParse("""{"metadata":{"name":"a","namespace":"n"},"status":{"podIP":"10.32.0.9"}}"""u8, out Pod? pod, out _));
        Assert.Equal(["10.32.0.9"], pod.Addresses.Select(a => a.ToString()));
        Assert.True(PodParser.TryParse("""{"metadata":{"name":"a","namespace":"n"},"spec":{"hostNetwork":true},"status":{"phase":"Pending"}}"""u8, out pod, out _));
        Assert.Empty(pod.Addresses);
        Assert.True(pod.HostNetwork);
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"a","namespace":"n"},"status":{"podIP":"10"}}""", "Pod n/a: status.podIP: 10 is not an IP address")]
    [InlineData("""{"metadata":{"name":"a","namespace":"n"},"status":{"podIPs":[{"ip":"10.0.0.1"},{}]}}""", "Pod n/a: status.podIPs[1].ip: missing")]
    [InlineData("""{"metadata":{"name":"a","namespace":"n"},"status":{"podIPs":[{"ip":"fe80::1%eth0"}]}}""", "Pod n/a: status.podIPs[0].ip: fe80::1%eth0 is not an IP address")]
    [InlineData("""{"metadata":{"name":"a","namespace":"n"},"spec":{"containers":[{"ports":[{"containerPort":0}]}]}}""",
        "Pod n/a: spec.containers[0].ports[0].containerPort: port 0 out of range 1-65535")]
    [InlineData("""{"metadata":{"name":"a","namespace":"n"},"spec":{"containers":[{},{"ports":[{"containerPort":80,"protocol":"ICMP"}]}]}}""",
        "Pod n/a: spec.containers[1].ports[0].protocol: unknown protocol ICMP (TCP, UDP or SCTP)")]
    [InlineData("""{"metadata":{"name":"a"}}""", "Pod (no namespace)/a: metadata.namespace: missing")]
    [InlineData("""{"metadata":{"name":"a","namespace":"n","labels":{"":"x"}}}""", "Pod n/a: metadata.labels: an empty label key")]
    public void TryParse_AnInvalidPod_IsRefusedNamingItAndTheField(string json, string expected)
    {
        Assert.Equal(expected, Reason(json));
    }

    [Fact]
    public void TryParse_MoreAddressesThanTheLimit_IsRefused()
    {
        string ips = string.Join(",", Enumerable.Range(1, ParseLimits.MaxAddressesPerPod + 1).Select(i => $$"""{"ip":"10.0.0.{{i}}"}"""));
        Assert.Equal($"Pod n/a: status.podIPs: {ParseLimits.MaxAddressesPerPod + 1} addresses, over the limit of {ParseLimits.MaxAddressesPerPod}",
            Reason("{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"},\"status\":{\"podIPs\":[" + ips + "]}}"));
    }
}

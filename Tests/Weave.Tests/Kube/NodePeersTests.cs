using System.Net;
using Weave.Kube.Api;
using Weave.Kube.Peers;
using Xunit;

namespace Weave.Tests.Kube;

public sealed class NodePeersTests
{
    private static KubeNode Node(string name, params (string Type, string Address)[] addresses) => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Status = new NodeStatus { Addresses = [.. addresses.Select(a => new NodeAddress(a.Type, a.Address))] },
    };

    [Fact]
    public void AddressOf_PrefersInternalIpv4_ThenExternal_IgnoresIpv6AndHostnames()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.2"), NodePeers.AddressOf(Node("n", ("ExternalIP", "1.2.3.4"), ("InternalIP", "fd00::2"), ("InternalIP", "10.0.0.2"))));
        Assert.Equal(IPAddress.Parse("1.2.3.4"), NodePeers.AddressOf(Node("n", ("Hostname", "n"), ("ExternalIP", "1.2.3.4"))));
        Assert.Null(NodePeers.AddressOf(Node("n", ("Hostname", "n"), ("InternalIP", "fd00::2"))));
        Assert.Null(NodePeers.AddressOf(new KubeNode { Metadata = new ObjectMeta { Name = "bare" } }));
    }

    [Fact]
    public void Targets_LeaveOutOurNodeByNameAndByLocalAddress_AndNodesWithoutAddress()
    {
        KubeNode[] nodes =
        [
            Node("node3", ("InternalIP", "10.0.0.13")),
            Node("node1", ("InternalIP", "10.0.0.11")),
            Node("node2", ("InternalIP", "10.0.0.12")),
            Node("renamed-self", ("InternalIP", "10.0.0.99")),
            Node("no-address"),
        ];
        IReadOnlyList<IPAddress> targets = NodePeers.Targets(nodes, "node1", a => a.Equals(IPAddress.Parse("10.0.0.99")));
        Assert.Equal([IPAddress.Parse("10.0.0.12"), IPAddress.Parse("10.0.0.13")], targets);
    }
}

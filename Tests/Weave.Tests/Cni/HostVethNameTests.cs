using Weave.Cni.Pod;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Cni;

public sealed class HostVethNameTests
{
    [Fact]
    public void For_IsAValidNameOf15CharactersWithWeavesPrefix()
    {
        string name = HostVethName.For(new string('f', 64), "eth0");
        Assert.Equal(15, name.Length);
        Assert.StartsWith("vethwepl", name, StringComparison.Ordinal);
        Assert.True(InterfaceName.IsValid(name));
    }

    [Fact]
    public void For_IsStableAndSeparatesIdsWithACommonPrefixAndInterfaces()
    {
        Assert.Equal(HostVethName.For("pod-001", "eth0"), HostVethName.For("pod-001", "eth0"));
        Assert.NotEqual(HostVethName.For("pod-001", "eth0"), HostVethName.For("pod-002", "eth0"));
        Assert.NotEqual(HostVethName.For("pod-001", "eth0"), HostVethName.For("pod-001", "net1"));
        var names = Enumerable.Range(0, 1000).Select(i => HostVethName.For($"container-{i:D6}", "eth0")).ToHashSet();
        Assert.Equal(1000, names.Count);
    }
}

using Weave.Cni.Pod;
using Xunit;

namespace Weave.Tests.Cni;

public sealed class PodMacTests
{
    [Fact]
    public void For_SameAttachment_SameMac_OtherAttachment_Another()
    {
        Assert.Equal(PodMac.For("abc", "eth0"), PodMac.For("abc", "eth0"));
        Assert.NotEqual(PodMac.For("abc", "eth0"), PodMac.For("abc", "net1"));
        Assert.NotEqual(PodMac.For("abc", "eth0"), PodMac.For("abd", "eth0"));
        // The separator keeps ("ab", "ceth0") apart from ("abc", "eth0").
        Assert.NotEqual(PodMac.For("ab", "ceth0"), PodMac.For("abc", "eth0"));
    }

    [Fact]
    public void For_ManyIds_LocallyAdministeredUnicast_SixBytes()
    {
        for (int i = 0; i < 10_000; i++)
        {
            byte[] mac = PodMac.For($"container-{i}", "eth0");
            Assert.Equal(6, mac.Length);
            Assert.Equal(0x02, mac[0] & 0x03);
        }
    }
}

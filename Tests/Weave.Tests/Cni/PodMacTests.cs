using System.Security.Cryptography;
using System.Text;
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

    [Fact]
    public void For_IsTheFirstSixBytesOfSha256_WithTheLocalBitSetAndTheMulticastBitClear()
    {
        byte[] expected = SHA256.HashData(Encoding.UTF8.GetBytes("weave-net pod mac v1\nabc\0eth0"))[..6];
        expected[0] = (byte)((expected[0] & 0xFE) | 0x02);
        Assert.Equal(expected, PodMac.For("abc", "eth0"));
    }

    /// <summary>
    /// Loading OpenSSL costs the plugin about 6 ms of every ADD and DEL (bench/README, cni): its
    /// hashes use the managed <c>Sha256</c>, so nothing in it may reference the BCL's cryptography.
    /// </summary>
    [Fact]
    public void ThePlugin_ReferencesNoBclCryptography()
    {
        Assert.DoesNotContain(typeof(PodMac).Assembly.GetReferencedAssemblies(),
            a => a.Name == "System.Security.Cryptography");
    }
}

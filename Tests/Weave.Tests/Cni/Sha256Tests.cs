using System.Text;
using Weave.Cni.Pod;
using Xunit;

namespace Weave.Tests.Cni;

public sealed class Sha256Tests
{
    [Fact]
    public void HashData_MatchesFips180Vectors()
    {
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(Sha256.HashData([])));
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(Sha256.HashData("abc"u8)));
        Assert.Equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            Convert.ToHexStringLower(Sha256.HashData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"u8)));
    }

    [Fact]
    public void HashData_MatchesTheBclForEveryLengthAcrossBlockBoundaries()
    {
        var random = new Random(19);
        for (int length = 0; length <= 300; length++)
        {
            byte[] data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(data), Sha256.HashData(data));
        }
    }

    [Fact]
    public void HostVethName_IsTheNameEarlierReleasesGave()
    {
        // DEL and GC find a pod's veth by recomputing its name: it must not change across versions.
        Assert.Equal("vethwepl5a99393", HostVethName.For("weave-3", "eth0"));
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("pod-001\0eth0")), Sha256.HashData(Encoding.UTF8.GetBytes("pod-001\0eth0")));
    }
}

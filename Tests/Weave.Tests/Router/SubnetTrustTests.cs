using System.Net;
using Weave.Router.Mesh;
using Xunit;

namespace Weave.Tests.Router;

public sealed class SubnetTrustTests
{
    private static readonly SubnetTrust s_trust = new([IPNetwork.Parse("192.168.7.1/32"), IPNetwork.Parse("10.1.0.0/16")]);

    [Theory]
    [InlineData("192.168.7.1", true)]
    [InlineData("192.168.7.2", false)]
    [InlineData("10.1.255.254", true)]
    [InlineData("10.2.0.1", false)]
    [InlineData("::ffff:10.1.2.3", true)] // an IPv4 peer as a dual-stack socket sees it
    [InlineData("::ffff:10.2.2.3", false)]
    [InlineData("fd00::1", false)]
    public void Trusts_AddressInsideASubnet(string address, bool trusted)
    {
        Assert.Equal(trusted, s_trust.Trusts(IPAddress.Parse(address)));
    }

    [Fact]
    public void None_TrustsNobody()
    {
        Assert.False(SubnetTrust.None.Trusts(IPAddress.Loopback));
        Assert.False(new SubnetTrust([]).Trusts(IPAddress.Parse("10.1.0.1")));
    }
}

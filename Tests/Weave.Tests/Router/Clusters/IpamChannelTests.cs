using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Router.Ipam;
using Xunit;

namespace Weave.Tests.Router.Clusters;

public sealed class IpamChannelTests
{
    private static ClusterIdentity Cluster(string name)
    {
        Assert.True(ClusterIdentity.TryCreate(name, null, out ClusterIdentity? cluster, out string error), error);
        return cluster;
    }

    [Fact]
    public void For_IsIpamColonTheClusterName()
    {
        Assert.Equal("ipam:a", IpamChannel.For(Cluster("a")));
        Assert.Equal("ipam:10-32-0-0-12", IpamChannel.For(Cluster("10-32-0-0-12")));
        string longest = new('n', GossipEnvelope.MaxChannelNameLength - IpamChannel.Prefix.Length);
        Assert.Equal("ipam:" + longest, IpamChannel.For(Cluster(longest)));
    }

    [Fact]
    public void For_ANameTooLongForAChannel_IsCutAndHashed_SoLongNamesSharingABeginningDiffer()
    {
        string a = new string('x', 60) + "-a";
        string b = new string('x', 60) + "-b";
        string channelA = IpamChannel.For(Cluster(a));
        string channelB = IpamChannel.For(Cluster(b));
        Assert.Equal(GossipEnvelope.MaxChannelNameLength, channelA.Length);
        Assert.Equal(GossipEnvelope.MaxChannelNameLength, channelB.Length);
        Assert.StartsWith("ipam:" + new string('x', 50) + "~", channelA, StringComparison.Ordinal);
        Assert.NotEqual(channelA, channelB);
        Assert.Equal(channelA, IpamChannel.For(Cluster(a))); // every router computes the same one
    }
}

using Weave.Kube.Peers;
using Xunit;

namespace Weave.Tests.Kube;

public sealed class PeerListTests
{
    [Fact]
    public void TryParse_WeaveNetsFormat_ReadsEveryEntry()
    {
        const string json = """{"Peers":[{"PeerName":"5e:1a:00:00:00:01","NodeName":"node1"},{"PeerName":"5e:1a:00:00:00:02","NodeName":"node2"}]}""";
        Assert.True(PeerList.TryParse(json, out PeerList list, out _));
        Assert.Equal([new PeerEntry("5e:1a:00:00:00:01", "node1"), new PeerEntry("5e:1a:00:00:00:02", "node2")], list.Peers);
    }

    [Fact]
    public void ToJson_ThenTryParse_RoundTrips()
    {
        var list = new PeerList([new PeerEntry("aa", "n1"), new PeerEntry("bb", "n2")]);
        Assert.True(PeerList.TryParse(list.ToJson(), out PeerList back, out _));
        Assert.Equal(list.Peers, back.Peers);
        Assert.StartsWith("""{"Peers":[{"PeerName":"aa","NodeName":"n1"}""", list.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{oops", "not valid JSON")]
    [InlineData("null", "null")]
    [InlineData("""{"Peers":[{"NodeName":"n"}]}""", "no PeerName")]
    [InlineData("""{"Peers":[null]}""", "no PeerName")]
    public void TryParse_NotAPeerList_SaysWhy(string json, string why)
    {
        Assert.False(PeerList.TryParse(json, out _, out string error));
        Assert.Contains(why, error, StringComparison.Ordinal);
    }

    [Fact]
    public void With_SamePeerOnAnotherNode_ReplacesItsEntry()
    {
        PeerList list = new PeerList([new PeerEntry("aa", "old")]).With(new PeerEntry("aa", "new"));
        Assert.Equal([new PeerEntry("aa", "new")], list.Peers);
        Assert.Same(list, list.With(new PeerEntry("aa", "new")));
        Assert.Empty(list.Without("aa").Peers);
    }
}

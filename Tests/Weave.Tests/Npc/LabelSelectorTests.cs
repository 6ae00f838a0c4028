using Weave.Npc;
using Xunit;
using static Weave.Tests.Npc.Cluster;

namespace Weave.Tests.Npc;

public sealed class LabelSelectorTests
{
    [Fact]
    public void Matches_EmptySelector_SelectsEverything()
    {
        Assert.True(LabelSelector.Everything.Matches(L()));
        Assert.True(LabelSelector.Everything.Matches(L("app=web", "tier=front")));
    }

    [Fact]
    public void Matches_MatchLabels_NeedsEveryPairWithItsValue()
    {
        LabelSelector selector = Sel("app=web", "tier=front");
        Assert.True(selector.Matches(L("app=web", "tier=front", "extra=1")));
        Assert.False(selector.Matches(L("app=web")));
        Assert.False(selector.Matches(L("app=web", "tier=back")));
    }

    [Fact]
    public void Matches_In_NeedsTheKeyWithOneOfTheValues()
    {
        LabelSelector selector = Sel(Req("app", SelectorOperator.In, "web", "api"));
        Assert.True(selector.Matches(L("app=api")));
        Assert.False(selector.Matches(L("app=db")));
        Assert.False(selector.Matches(L("other=web")));
    }

    [Fact]
    public void Matches_NotIn_AlsoMatchesObjectsWithoutTheKey()
    {
        LabelSelector selector = Sel(Req("app", SelectorOperator.NotIn, "web"));
        Assert.True(selector.Matches(L()));
        Assert.True(selector.Matches(L("app=db")));
        Assert.False(selector.Matches(L("app=web")));
    }

    [Fact]
    public void Matches_Exists_NeedsTheKeyWhateverItsValue()
    {
        LabelSelector selector = Sel(Req("app", SelectorOperator.Exists));
        Assert.True(selector.Matches(L("app=")));
        Assert.True(selector.Matches(L("app=x")));
        Assert.False(selector.Matches(L("apps=x")));
    }

    [Fact]
    public void Matches_DoesNotExist_MatchesObjectsWithoutTheKey()
    {
        LabelSelector selector = Sel(Req("app", SelectorOperator.DoesNotExist));
        Assert.True(selector.Matches(L()));
        Assert.True(selector.Matches(L("tier=x")));
        Assert.False(selector.Matches(L("app=x")));
    }

    [Fact]
    public void Matches_MatchLabelsAndMatchExpressions_AreAnded()
    {
        var selector = new LabelSelector(L("app=web"), [Req("tier", SelectorOperator.NotIn, "back")]);
        Assert.True(selector.Matches(L("app=web")));
        Assert.True(selector.Matches(L("app=web", "tier=front")));
        Assert.False(selector.Matches(L("app=web", "tier=back")));
        Assert.False(selector.Matches(L("tier=front")));
    }

    [Fact]
    public void Matches_SeveralExpressions_AreAnded()
    {
        LabelSelector selector = Sel(Req("app", SelectorOperator.Exists), Req("env", SelectorOperator.In, "prod"));
        Assert.True(selector.Matches(L("app=a", "env=prod")));
        Assert.False(selector.Matches(L("app=a", "env=dev")));
        Assert.False(selector.Matches(L("env=prod")));
    }

    [Fact]
    public void Matches_ValuesCompareOrdinally()
    {
        Assert.False(Sel("app=Web").Matches(L("app=web")));
    }

    [Fact]
    public void ToString_IsKubectlSyntax()
    {
        var selector = new LabelSelector(L("app=web"), [Req("tier", SelectorOperator.NotIn, "a", "b"), Req("x", SelectorOperator.DoesNotExist)]);
        Assert.Equal("app=web,tier notin (a,b),!x", selector.ToString());
        Assert.Equal("{}", LabelSelector.Everything.ToString());
    }
}

using System.Text;
using Weave.Npc;
using Xunit;
using static Weave.Tests.Npc.Cluster;

namespace Weave.Tests.Npc;

public sealed class NamespaceParserTests
{
    [Fact]
    public void TryParse_ANamespace_GivesItsNameAndLabels()
    {
        Assert.True(NamespaceParser.TryParse(
            """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod","labels":{"kubernetes.io/metadata.name":"prod","env":"prod"}},"status":{"phase":"Active"}}"""u8,
            out ClusterNamespace? ns, out string reason), reason);
        Assert.Equal(Ns("prod", "kubernetes.io/metadata.name=prod", "env=prod"), ns);
    }

    [Theory]
    [InlineData("""{"metadata":{}}""", "Namespace (unnamed): metadata.name: missing")]
    [InlineData("""{"metadata":{"name":"a","labels":{"k":null}}}""", "Namespace a: metadata.labels.k: null")]
    [InlineData("""{"metadata":{"name":["a"]}}""", "Namespace (unnamed): malformed: ")]
    public void TryParse_AnInvalidNamespace_IsRefused(string json, string expected)
    {
        Assert.False(NamespaceParser.TryParse(Encoding.UTF8.GetBytes(json), out ClusterNamespace? ns, out string reason));
        Assert.Null(ns);
        Assert.StartsWith(expected, reason, StringComparison.Ordinal);
    }
}

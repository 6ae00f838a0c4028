using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Weave.Npc.Api;

namespace Weave.Npc;

/// <summary>A v1 Namespace from the API's JSON: never throws; refuses with one reason naming the namespace and the field.</summary>
public static class NamespaceParser
{
    private const string Kind = "Namespace";

    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out ClusterNamespace? ns, out string reason) =>
        ObjectJson.TryParse(json, NpcJson.Default.NamespaceJson, Kind, TryConvert, out ns, out reason);

    public static bool TryParse(JsonElement json, [NotNullWhen(true)] out ClusterNamespace? ns, out string reason) =>
        ObjectJson.TryParse(json, NpcJson.Default.NamespaceJson, Kind, TryConvert, out ns, out reason);

    private static bool TryConvert(NamespaceJson dto, [NotNullWhen(true)] out ClusterNamespace? ns, out string reason)
    {
        ns = null;
        if (!FieldParsing.TryName(dto.Metadata?.Name, "metadata.name", out string? name, out string problem)
            || !FieldParsing.TryLabels(dto.Metadata!.Labels, "metadata.labels", out ImmutableSortedDictionary<string, string> labels, out problem))
        {
            reason = $"{Kind} {ObjectJson.Name(null, dto.Metadata?.Name, namespaced: false)}: {problem}";
            return false;
        }
        ns = new ClusterNamespace(name, labels);
        reason = "";
        return true;
    }
}

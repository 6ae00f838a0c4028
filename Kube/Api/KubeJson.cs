using System.Text.Json.Serialization;

namespace Weave.Kube.Api;

/// <summary>Source-generated JSON for the objects the add-on exchanges with the API server (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KubeNode))]
[JsonSerializable(typeof(KubeNodeList))]
[JsonSerializable(typeof(KubeConfigMap))]
[JsonSerializable(typeof(KubeStatus))]
[JsonSerializable(typeof(KubeVersion))]
[JsonSerializable(typeof(WatchEvent))]
[JsonSerializable(typeof(KubeListPage))]
[JsonSerializable(typeof(NodeStatusPatch))]
internal sealed partial class KubeJson : JsonSerializerContext;

/// <summary>The body of a strategic-merge patch of a Node's status: conditions merge by type.</summary>
internal sealed record NodeStatusPatch(NodeStatusPatch.Body Status)
{
    internal sealed record Body(List<NodeCondition> Conditions);
}

using System.Text.Json.Serialization;

namespace Weave.Npc.Api;

/// <summary>Source-generated JSON for the objects policies are computed from (no reflection: Native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, MaxDepth = ParseLimits.MaxJsonDepth)]
[JsonSerializable(typeof(PodJson))]
[JsonSerializable(typeof(NamespaceJson))]
[JsonSerializable(typeof(NetworkPolicyJson))]
internal sealed partial class NpcJson : JsonSerializerContext;

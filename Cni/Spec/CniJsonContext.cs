using System.Text.Json.Serialization;
using Weave.Cni.RouterApi;

namespace Weave.Cni.Spec;

/// <summary>Source-generated JSON for everything the plugin reads and writes: no reflection, Native-AOT clean.</summary>
[JsonSourceGenerationOptions(ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(NetworkConfig))]
[JsonSerializable(typeof(CniResult))]
[JsonSerializable(typeof(CniError))]
[JsonSerializable(typeof(CniVersionReply))]
[JsonSerializable(typeof(OwnedAllocations))]
internal sealed partial class CniJsonContext : JsonSerializerContext;

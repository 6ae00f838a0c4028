using System.Text.Json.Serialization;

namespace Weave.Cni.Spec;

/// <summary>The answer to VERSION.</summary>
public sealed class CniVersionReply
{
    [JsonPropertyName("cniVersion")]
    public string? CniVersion { get; set; }

    [JsonPropertyName("supportedVersions")]
    public List<string>? SupportedVersions { get; set; }
}

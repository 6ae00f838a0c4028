using System.Text.Json.Serialization;

namespace Weave.Cni.Spec;

/// <summary>The error JSON the spec wants on stdout when a command fails.</summary>
public sealed class CniError
{
    [JsonPropertyName("cniVersion")]
    public string? CniVersion { get; set; }

    [JsonPropertyName("code")]
    public int Code { get; set; }

    [JsonPropertyName("msg")]
    public string? Message { get; set; }

    [JsonPropertyName("details")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Details { get; set; }
}

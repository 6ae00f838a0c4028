using System.Text.Json.Serialization;

namespace Weave.Cni.Spec;

/// <summary>One attachment of a GC request: a container's interface on this network.</summary>
public sealed class CniAttachment
{
    [JsonPropertyName("containerID")]
    public string? ContainerId { get; set; }

    [JsonPropertyName("ifname")]
    public string? IfName { get; set; }
}

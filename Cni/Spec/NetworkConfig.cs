using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weave.Cni.Spec;

/// <summary>
/// The network configuration on stdin (one plugin's entry of a conflist, with the runtime's
/// additions). Unknown keys are ignored; <c>runtimeConfig</c> and <c>capabilities</c> are accepted
/// and unused (portmap, chained after us, reads the port mappings).
/// </summary>
public sealed class NetworkConfig
{
    [JsonPropertyName("cniVersion")]
    public string? CniVersion { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary>The pods' MTU; default: the bridge <c>weave</c>'s MTU, which the router sets.</summary>
    [JsonPropertyName("mtu")]
    public int? Mtu { get; set; }

    /// <summary>Hairpin mode on the pod's bridge port (default on, as Weave's HAIRPIN_MODE).</summary>
    [JsonPropertyName("hairpinMode")]
    public bool? HairpinMode { get; set; }

    /// <summary>The router's HTTP API as host:port; default <c>$WEAVE_HTTP_ADDR</c>, else 127.0.0.1:6784.</summary>
    [JsonPropertyName("routerAddress")]
    public string? RouterAddress { get; set; }

    /// <summary>A file to append log lines to, besides stderr.</summary>
    [JsonPropertyName("logFile")]
    public string? LogFile { get; set; }

    /// <summary>Rejected when true, as Weave did: the bridge's address is the pods' gateway anyway and masquerading is the router's business.</summary>
    [JsonPropertyName("isGateway")]
    public bool? IsGateway { get; set; }

    [JsonPropertyName("ipMasq")]
    public bool? IpMasq { get; set; }

    /// <summary>A delegated IPAM plugin: not supported (addresses come from the router).</summary>
    [JsonPropertyName("ipam")]
    public JsonElement? Ipam { get; set; }

    [JsonPropertyName("prevResult")]
    public JsonElement? PrevResult { get; set; }

    [JsonPropertyName("runtimeConfig")]
    public JsonElement? RuntimeConfig { get; set; }

    [JsonPropertyName("capabilities")]
    public JsonElement? Capabilities { get; set; }

    /// <summary>GC (spec 1.1): the attachments the runtime still knows; everything else of this network may go.</summary>
    [JsonPropertyName("cni.dev/valid-attachments")]
    public List<CniAttachment>? ValidAttachments { get; set; }

    /// <summary>GC as some runtimes spell it.</summary>
    [JsonPropertyName("cni.dev/attachments")]
    public List<CniAttachment>? Attachments { get; set; }
}

using System.Text.Json.Serialization;

namespace Weave.Cni.Spec;

/// <summary>
/// The result of ADD (and the prevResult of CHECK): the interfaces made, their addresses and
/// routes. One shape serves every supported version: <see cref="Ip.Version"/> is written only
/// before 1.0.0, where the spec required it.
/// </summary>
public sealed class CniResult
{
    [JsonPropertyName("cniVersion")]
    public string? CniVersion { get; set; }

    [JsonPropertyName("interfaces")]
    public List<Link>? Interfaces { get; set; }

    [JsonPropertyName("ips")]
    public List<Ip>? Ips { get; set; }

    [JsonPropertyName("routes")]
    public List<Route>? Routes { get; set; }

    [JsonPropertyName("dns")]
    public Dns? DnsSettings { get; set; }

    public sealed class Link
    {
        [JsonPropertyName("name")]
        public string? Name { get; set; }

        [JsonPropertyName("mac")]
        public string? Mac { get; set; }

        [JsonPropertyName("mtu")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public int? Mtu { get; set; }

        /// <summary>The container's network namespace; absent for the host end.</summary>
        [JsonPropertyName("sandbox")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Sandbox { get; set; }
    }

    public sealed class Ip
    {
        /// <summary>"4" or "6", before spec 1.0.0 only.</summary>
        [JsonPropertyName("version")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Version { get; set; }

        /// <summary>CIDR notation: 10.32.0.5/12.</summary>
        [JsonPropertyName("address")]
        public string? Address { get; set; }

        [JsonPropertyName("gateway")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Gateway { get; set; }

        /// <summary>Index into <see cref="Interfaces"/>.</summary>
        [JsonPropertyName("interface")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public int? InterfaceIndex { get; set; }
    }

    public sealed class Route
    {
        [JsonPropertyName("dst")]
        public string? Destination { get; set; }

        [JsonPropertyName("gw")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public string? Gateway { get; set; }
    }

    public sealed class Dns
    {
        [JsonPropertyName("nameservers")]
        [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        public List<string>? Nameservers { get; set; }
    }
}

using System.Text.Json.Serialization;

namespace Weave.Cni.RouterApi;

/// <summary>The router's <c>GET /ip</c> answer: <c>{"owned":[{"containerid":..,"addrs":[..],"metadata":{..}}]}</c>.</summary>
public sealed class OwnedAllocations
{
    [JsonPropertyName("owned")]
    public List<Entry>? Owned { get; set; }

    public sealed class Entry
    {
        [JsonPropertyName("containerid")]
        public string? ContainerId { get; set; }

        [JsonPropertyName("addrs")]
        public List<string>? Addresses { get; set; }

        [JsonPropertyName("metadata")]
        public Dictionary<string, string>? Metadata { get; set; }
    }
}

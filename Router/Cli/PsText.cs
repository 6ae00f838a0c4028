using System.Text;
using System.Text.Json;

namespace Weave.Router.Cli;

/// <summary>
/// <c>weave ps</c>: one line per ID from <c>GET /ip</c>, as Weave printed it (ID, then addresses),
/// followed by the pod as <c>namespace/name</c> when the CNI plugin recorded it.
/// </summary>
public static class PsText
{
    public static string From(string ownedJson)
    {
        var text = new StringBuilder();
        try
        {
            using JsonDocument document = JsonDocument.Parse(ownedJson);
            foreach (JsonElement owned in document.RootElement.GetProperty("owned").EnumerateArray())
            {
                text.Append(owned.GetProperty("containerid").GetString());
                foreach (JsonElement address in owned.GetProperty("addrs").EnumerateArray())
                {
                    text.Append(' ').Append(address.GetString());
                }
                if (owned.TryGetProperty("metadata", out JsonElement metadata) &&
                    metadata.TryGetProperty("K8S_POD_NAMESPACE", out JsonElement ns) && metadata.TryGetProperty("K8S_POD_NAME", out JsonElement pod))
                {
                    text.Append(' ').Append(ns.GetString()).Append('/').Append(pod.GetString());
                }
                text.Append('\n');
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new CliException($"the router's /ip answer is not the expected JSON: {e.Message}");
        }
        return text.ToString();
    }
}

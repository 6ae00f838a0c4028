using System.Globalization;
using System.Text;
using System.Text.Json;
using Weave.Linux;
using Weave.Router.Api;

namespace Weave.Router.Cli;

/// <summary>
/// <c>weave ps</c>: one line per ID from <c>GET /ip</c>, as Weave printed it: the ID, the MAC of
/// its interface, its addresses; then the pod as <c>namespace/name</c> when the CNI plugin recorded
/// it. The MAC is the one the plugin recorded at ADD; <c>weave:expose</c>'s is the bridge's, read
/// here; an ID whose MAC nobody knows (a claim from the CLI) shows <c>-</c>, so the columns stay.
/// </summary>
public static class PsText
{
    public const string UnknownMac = "-";

    public static string From(string ownedJson, string? bridgeMac = null)
    {
        var text = new StringBuilder();
        try
        {
            using JsonDocument document = JsonDocument.Parse(ownedJson);
            foreach (JsonElement owned in document.RootElement.GetProperty("owned").EnumerateArray())
            {
                string id = owned.GetProperty("containerid").GetString() ?? "";
                bool hasMetadata = owned.TryGetProperty("metadata", out JsonElement metadata);
                string? mac = hasMetadata && metadata.TryGetProperty(IpamEndpoints.MacKey, out JsonElement m) ? m.GetString() : null;
                mac ??= id == IpamEndpoints.ExposeId ? bridgeMac : null;
                text.Append(id).Append(' ').Append(mac ?? UnknownMac);
                foreach (JsonElement address in owned.GetProperty("addrs").EnumerateArray())
                {
                    text.Append(' ').Append(address.GetString());
                }
                if (hasMetadata && metadata.TryGetProperty("K8S_POD_NAMESPACE", out JsonElement ns) && metadata.TryGetProperty("K8S_POD_NAME", out JsonElement pod))
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

    /// <summary>The MAC of <paramref name="bridge"/> in this network namespace; null when there is none or netlink fails.</summary>
    public static string? BridgeMac(string bridge)
    {
        try
        {
            using RouteNetlink netlink = RouteNetlink.Open();
            return netlink.GetLink(bridge) is { MacAddress.Length: 6 } link
                ? string.Join(':', link.MacAddress.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)))
                : null;
        }
        catch (LinuxError)
        {
            return null;
        }
    }
}

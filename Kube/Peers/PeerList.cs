using System.Text.Json;
using System.Text.Json.Serialization;

namespace Weave.Kube.Peers;

/// <summary>
/// The routers of the cluster, in Weave Net's format (<c>{"Peers":[{"PeerName":..,"NodeName":..}]}</c>
/// in the annotation <see cref="PeerRegistry.PeersKey"/>): who owned address space, on which
/// node. A router whose node is gone is reclaimed from it; a router missing from it at start was
/// reclaimed while it was down.
/// </summary>
public sealed record PeerList(IReadOnlyList<PeerEntry> Peers)
{
    public static readonly PeerList Empty = new([]);

    public bool Contains(string peerName) => Peers.Any(p => p.PeerName == peerName);

    /// <summary>With <paramref name="entry"/> in it, replacing an older entry of the same peer.</summary>
    public PeerList With(PeerEntry entry) =>
        Peers.Contains(entry) ? this : new PeerList([.. Peers.Where(p => p.PeerName != entry.PeerName), entry]);

    public PeerList Without(string peerName) => new([.. Peers.Where(p => p.PeerName != peerName)]);

    /// <summary>Parses the annotation; false with the reason when it is not a peer list.</summary>
    public static bool TryParse(string json, out PeerList list, out string error)
    {
        list = Empty;
        try
        {
            PeerListDocument? document = JsonSerializer.Deserialize(json, PeerListJson.Default.PeerListDocument);
            if (document is null)
            {
                error = "the peer list is null";
                return false;
            }
            var peers = new List<PeerEntry>();
            foreach (PeerListDocument.Entry? entry in document.Peers ?? [])
            {
                if (entry is null || string.IsNullOrEmpty(entry.PeerName) || entry.NodeName is null)
                {
                    error = "an entry of the peer list has no PeerName or NodeName";
                    return false;
                }
                peers.Add(new PeerEntry(entry.PeerName, entry.NodeName));
            }
            list = new PeerList(peers);
            error = "";
            return true;
        }
        catch (JsonException e)
        {
            error = "the peer list is not valid JSON: " + e.Message;
            return false;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(
        new PeerListDocument { Peers = [.. Peers.Select(p => new PeerListDocument.Entry { PeerName = p.PeerName, NodeName = p.NodeName })] },
        PeerListJson.Default.PeerListDocument);
}

internal sealed record PeerListDocument
{
    public List<Entry?>? Peers { get; init; }

    internal sealed record Entry
    {
        public string? PeerName { get; init; }
        public string? NodeName { get; init; }
    }
}

[JsonSerializable(typeof(PeerListDocument))]
internal sealed partial class PeerListJson : JsonSerializerContext;

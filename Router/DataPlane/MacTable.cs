using System.Collections.Concurrent;

namespace Weave.Router.DataPlane;

/// <summary>
/// Which peer each remote MAC address lives behind, learned from frames received from peers.
/// Written by the UDP receive thread (learning) and the control plane (a peer left); read by the
/// TAP thread. Entries are updated in place, so steady-state learning allocates nothing. Expiry
/// of idle entries comes with the full data plane; for now a peer's entries go when it does.
/// </summary>
public sealed class MacTable
{
    private readonly ConcurrentDictionary<ulong, Entry> _entries = new();

    public int Count => _entries.Count;

    /// <summary>Records that <paramref name="mac"/> was seen behind <paramref name="peer"/>.</summary>
    public void Learn(ulong mac, DataPeer peer, long timestamp)
    {
        if (_entries.TryGetValue(mac, out Entry? entry))
        {
            entry.Peer = peer;
            entry.LastSeen = timestamp;
            return;
        }
        _entries[mac] = new Entry { Peer = peer, LastSeen = timestamp };
    }

    public DataPeer? Lookup(ulong mac) => _entries.TryGetValue(mac, out Entry? entry) ? entry.Peer : null;

    /// <summary>Forgets every MAC behind <paramref name="peer"/>; returns how many.</summary>
    public int Forget(DataPeer peer)
    {
        int removed = 0;
        foreach (var (mac, entry) in _entries)
        {
            if (entry.Peer == peer && _entries.TryRemove(mac, out _))
            {
                removed++;
            }
        }
        return removed;
    }

    public IReadOnlyList<(ulong Mac, DataPeer Peer)> Snapshot() =>
        [.. _entries.Select(e => (e.Key, e.Value.Peer))];

    private sealed class Entry
    {
        private volatile DataPeer _peer = null!;

        public DataPeer Peer
        {
            get => _peer;
            set => _peer = value;
        }

        public long LastSeen { get; set; }
    }
}

using System.Collections.Concurrent;
using Weave.Gossip;

namespace Weave.Router.DataPlane;

/// <summary>
/// Which peer each remote MAC address lives behind (its origin: the peer that captured frames from
/// it, which need not be a neighbour), learned from frames received from peers, with when it was
/// last seen. Written by the receive threads (learning, expiry) and the control plane (a peer
/// left); read by the TAP thread. Entries are updated in place, so steady-state learning and
/// lookups allocate nothing; two receive threads learning one MAC at once is a benign race (the
/// last write wins, as the next frame would make it anyway).
/// </summary>
public sealed class MacTable
{
    private readonly ConcurrentDictionary<ulong, Entry> _entries = new();

    public int Count => _entries.Count;

    /// <summary>
    /// Records that <paramref name="mac"/> was seen behind <paramref name="origin"/>; true when it
    /// was known behind another peer before (it moved).
    /// </summary>
    public bool Learn(ulong mac, PeerName origin, long timestamp)
    {
        if (_entries.TryGetValue(mac, out Entry? entry))
        {
            ulong before = Volatile.Read(ref entry.Origin);
            Volatile.Write(ref entry.Origin, origin.Value);
            Volatile.Write(ref entry.LastSeen, timestamp);
            return before != origin.Value;
        }
        _entries[mac] = new Entry { Origin = origin.Value, LastSeen = timestamp };
        return false;
    }

    public bool TryLookup(ulong mac, out PeerName origin, out long lastSeen)
    {
        if (_entries.TryGetValue(mac, out Entry? entry))
        {
            origin = new PeerName(Volatile.Read(ref entry.Origin));
            lastSeen = Volatile.Read(ref entry.LastSeen);
            return true;
        }
        origin = default;
        lastSeen = 0;
        return false;
    }

    public PeerName? Lookup(ulong mac) => TryLookup(mac, out PeerName origin, out _) ? origin : null;

    public bool Remove(ulong mac) => _entries.TryRemove(mac, out _);

    /// <summary>Forgets every MAC behind <paramref name="origin"/>; returns how many.</summary>
    public int Forget(PeerName origin) => RemoveWhere(static (entry, value) => Volatile.Read(ref entry.Origin) == value, origin.Value);

    /// <summary>
    /// Forgets every MAC last seen before <paramref name="timestamp"/>; returns how many. One
    /// enumerator is allocated per call (the dictionary's), none per entry.
    /// </summary>
    public int Expire(long timestamp) => RemoveWhere(static (entry, before) => Volatile.Read(ref entry.LastSeen) < (long)before, (ulong)timestamp);

    public IReadOnlyList<(ulong Mac, PeerName Origin)> Snapshot() =>
        [.. _entries.Select(e => (e.Key, new PeerName(Volatile.Read(ref e.Value.Origin))))];

    private int RemoveWhere(Func<Entry, ulong, bool> match, ulong argument)
    {
        int removed = 0;
        foreach (var (mac, entry) in _entries)
        {
            if (match(entry, argument) && _entries.TryRemove(new KeyValuePair<ulong, Entry>(mac, entry)))
            {
                removed++;
            }
        }
        return removed;
    }

    private sealed class Entry
    {
        public ulong Origin;
        public long LastSeen;
    }
}

using Weave.Gossip;

namespace Weave.Ipam.Rings;

internal sealed partial class Ring
{
    /// <summary>
    /// The initial ring for <paramref name="peers"/> (sorted and de-duplicated here): the range is
    /// halved recursively, each half going to half of the peers, so every share is a CIDR block and
    /// no share is more than twice another. Version 0 everywhere, so every peer given the same list
    /// builds the identical ring.
    /// </summary>
    public static Ring Seeded(Cidr range, IEnumerable<PeerName> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        PeerName[] sorted = [.. peers.Where(p => p.Value != 0).Distinct().Order()];
        if (sorted.Length == 0 || sorted.Length > MaxSeeds)
        {
            throw new ArgumentException($"a ring needs between 1 and {MaxSeeds} seed peers", nameof(peers));
        }
        var entries = new List<RingEntry>();
        Subdivide(range.Start, 1UL << (32 - range.PrefixLength), sorted, entries);
        return CreateChecked(range, sorted, [.. entries]);
    }

    private static void Subdivide(ulong start, ulong size, ReadOnlySpan<PeerName> peers, List<RingEntry> into)
    {
        if (peers.Length == 1 || size == 1)
        {
            into.Add(new RingEntry((uint)start, peers[0], 0, (uint)size));
            return;
        }
        int left = (peers.Length + 1) / 2;
        ulong half = size / 2;
        Subdivide(start, half, peers[..left], into);
        Subdivide(start + half, half, peers[left..], into);
    }

    /// <summary>
    /// The owner's edit that gives [<paramref name="start"/>, <paramref name="end"/>) to
    /// <paramref name="recipient"/>: tokens are added at both ends if needed (owned as before), and
    /// the entries inside change owner. Every entry touched gets a higher version. The whole interval
    /// must be owned by <paramref name="owner"/> (asserted).
    /// </summary>
    public Ring Grant(uint start, ulong end, PeerName owner, PeerName recipient)
    {
        if (IsEmpty || end <= start || !Range.Contains(start) || end > End)
        {
            throw new InvalidOperationException($"cannot grant {Ip4.FormatRange(start, end)} in {this}");
        }
        var entries = new List<RingEntry>(_entries);
        EnsureToken(entries, start);
        EnsureToken(entries, end == End ? Start : (uint)end);
        for (int i = 0; i < entries.Count; i++)
        {
            RingEntry e = entries[i];
            if (e.Token >= start && e.Token < end)
            {
                if (e.Owner != owner)
                {
                    throw new InvalidOperationException($"{owner} cannot grant {Ip4.FormatRange(start, end)}: {e} is not its own");
                }
                entries[i] = e with { Owner = recipient, Version = e.Version + 1 };
            }
        }
        var ring = CreateChecked(Range, _seeds, [.. entries]);
        for (int i = 0; i < ring._entries.Length; i++)
        {
            RingEntry e = ring._entries[i];
            if (e.Token >= start && e.Token < end)
            {
                ring._entries[i] = e with { Free = (uint)ring.SpanSize(i) };
            }
        }
        return ring;
    }

    /// <summary>Splits the entry covering <paramref name="token"/> there, if no token is there yet; both halves get a higher version.</summary>
    private static void EnsureToken(List<RingEntry> entries, uint token)
    {
        int at = entries.BinarySearch(new RingEntry(token, default, 0, 0), TokenComparer.Instance);
        if (at >= 0)
        {
            return;
        }
        int insertAt = ~at;
        int covering = insertAt == 0 ? entries.Count - 1 : insertAt - 1;
        RingEntry split = entries[covering];
        entries[covering] = split with { Version = split.Version + 1 };
        entries.Insert(insertAt, new RingEntry(token, split.Owner, split.Version + 1, 0));
    }

    /// <summary>
    /// Gives every entry of <paramref name="from"/> to an heir, with the version raised by
    /// <see cref="AdminVersionBump"/> and the free hint kept. The heir of an entry is the owner of the
    /// nearest entry before it (going round) whose owner is not <paramref name="from"/> and is
    /// <paramref name="eligible"/>; when there is none, <paramref name="fallback"/>. Computed from the
    /// ring alone, so every peer that does it on the same ring makes the identical change.
    /// Returns this ring unchanged when <paramref name="from"/> owns nothing.
    /// </summary>
    public Ring TransferAll(PeerName from, Func<PeerName, bool> eligible, PeerName? fallback, out long addresses)
    {
        ArgumentNullException.ThrowIfNull(eligible);
        addresses = 0;
        RingEntry[] entries = [.. _entries];
        for (int i = 0; i < entries.Length; i++)
        {
            if (_entries[i].Owner != from)
            {
                continue;
            }
            PeerName? heir = null;
            for (int back = 1; back < _entries.Length && heir is null; back++)
            {
                PeerName candidate = _entries[(i - back + _entries.Length) % _entries.Length].Owner;
                if (candidate != from && eligible(candidate))
                {
                    heir = candidate;
                }
            }
            heir ??= fallback;
            if (heir is null)
            {
                throw new InvalidOperationException($"no heir for the space of {from}");
            }
            entries[i] = _entries[i] with { Owner = heir.Value, Version = _entries[i].Version + AdminVersionBump };
            addresses += (long)SpanSize(i);
        }
        return addresses == 0 ? this : CreateChecked(Range, _seeds, entries);
    }

    /// <summary>The owner's report of free addresses: entries of <paramref name="owner"/> whose count changed get it and a higher version.</summary>
    public Ring WithFree(PeerName owner, Func<int, uint> freeOf)
    {
        ArgumentNullException.ThrowIfNull(freeOf);
        RingEntry[]? entries = null;
        for (int i = 0; i < _entries.Length; i++)
        {
            RingEntry e = _entries[i];
            if (e.Owner != owner)
            {
                continue;
            }
            uint free = freeOf(i);
            if (free != e.Free)
            {
                entries ??= [.. _entries];
                entries[i] = e with { Free = free, Version = e.Version + 1 };
            }
        }
        return entries is null ? this : CreateChecked(Range, _seeds, entries);
    }

    private sealed class TokenComparer : IComparer<RingEntry>
    {
        public static readonly TokenComparer Instance = new();

        public int Compare(RingEntry x, RingEntry y) => x.Token.CompareTo(y.Token);
    }
}

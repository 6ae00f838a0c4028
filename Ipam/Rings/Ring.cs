using System.Diagnostics.CodeAnalysis;
using Weave.Gossip;

namespace Weave.Ipam.Rings;

/// <summary>
/// The allocation ring of one range (Weave's ring CRDT): entries sorted by token, each owning the
/// addresses from its token to the next (the last one wraps around to the first), so a seeded ring
/// always covers the whole range. <see cref="Seeds"/> names the peers that created it: rings with
/// different seeds were created independently and never merge. An empty ring (no entries, no
/// seeds) is a range not seeded yet.
/// <para>
/// Immutable: every edit returns a new ring, so a change is checked in full before anyone sees it.
/// Local edits assert the invariants (our bugs throw <see cref="InvalidOperationException"/>);
/// rings from peers are checked with <see cref="TryValidate"/> and refused with a reason.
/// </para>
/// </summary>
internal sealed partial class Ring : IEquatable<Ring>
{
    /// <summary>Bounds what a peer may make us hold: ~25 bytes an entry on the wire, well under a frame.</summary>
    public const int MaxEntries = 16384;

    public const int MaxSeeds = 1024;

    /// <summary>How far an admin transfer (rmpeer, hand-off) raises the version, as in Weave: above any
    /// edit the old owner could have made that we have not seen, in practice.</summary>
    public const uint AdminVersionBump = 100;

    private readonly RingEntry[] _entries;
    private readonly PeerName[] _seeds;

    private Ring(Cidr range, PeerName[] seeds, RingEntry[] entries)
    {
        Range = range;
        _seeds = seeds;
        _entries = entries;
    }

    public Cidr Range { get; }

    public ReadOnlySpan<PeerName> Seeds => _seeds;

    public ReadOnlySpan<RingEntry> Entries => _entries;

    public int Count => _entries.Length;

    public bool IsEmpty => _entries.Length == 0;

    private uint Start => Range.Start;

    private ulong End => Range.End;

    public static Ring Empty(Cidr range) => new(range, [], []);

    /// <summary>Builds a ring from parts received or loaded; null with a reason when they break an invariant.</summary>
    public static bool TryCreate(Cidr range, PeerName[] seeds, RingEntry[] entries, [NotNullWhen(true)] out Ring? ring, out string error)
    {
        ring = new Ring(range, seeds, entries);
        if (!ring.TryValidate(out error))
        {
            ring = null;
            return false;
        }
        return true;
    }

    /// <summary>Used by edits that keep the invariants by construction (asserted).</summary>
    internal static Ring CreateChecked(Cidr range, PeerName[] seeds, RingEntry[] entries)
    {
        var ring = new Ring(range, seeds, entries);
        ring.CheckInvariants();
        return ring;
    }

    /// <summary>Sorted unique tokens inside the range, owners set, bounded sizes, sorted unique seeds, seeds iff entries.</summary>
    public bool TryValidate(out string error)
    {
        if (Range.PrefixLength is < 1 or > 30)
        {
            error = $"ring range {Range} is not between /1 and /30";
            return false;
        }
        if (_entries.Length > MaxEntries || _seeds.Length > MaxSeeds)
        {
            error = $"ring has {_entries.Length} entries and {_seeds.Length} seeds, more than {MaxEntries} and {MaxSeeds}";
            return false;
        }
        if ((_entries.Length == 0) != (_seeds.Length == 0))
        {
            error = _entries.Length == 0 ? "ring has seeds but no entries" : "ring has entries but no seeds";
            return false;
        }
        for (int i = 0; i < _seeds.Length; i++)
        {
            if (_seeds[i].Value == 0 || (i > 0 && _seeds[i - 1] >= _seeds[i]))
            {
                error = "ring seeds are not sorted, unique and non-zero";
                return false;
            }
        }
        for (int i = 0; i < _entries.Length; i++)
        {
            RingEntry e = _entries[i];
            if (!Range.Contains(e.Token))
            {
                error = $"ring token {Ip4.Format(e.Token)} is outside the range {Range}";
                return false;
            }
            if (i > 0 && _entries[i - 1].Token >= e.Token)
            {
                error = $"ring tokens are not sorted and unique at {Ip4.Format(e.Token)}";
                return false;
            }
            if (e.Owner.Value == 0)
            {
                error = $"ring token {Ip4.Format(e.Token)} has no owner";
                return false;
            }
        }
        error = "";
        return true;
    }

    /// <summary>Throws when an invariant is broken: for our own edits, where a failure is our bug.</summary>
    public void CheckInvariants()
    {
        if (!TryValidate(out string error))
        {
            throw new InvalidOperationException("IPAM ring invariant broken: " + error);
        }
    }

    /// <summary>The index of the entry owning <paramref name="address"/> (which must be in the range); -1 for an empty ring.</summary>
    public int IndexOf(uint address)
    {
        if (_entries.Length == 0)
        {
            return -1;
        }
        int lo = 0, hi = _entries.Length - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_entries[mid].Token <= address)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return found < 0 ? _entries.Length - 1 : found;
    }

    /// <summary>The owner of an address in the range, or null for an empty ring or an address outside it.</summary>
    public PeerName? OwnerOf(uint address)
    {
        if (!Range.Contains(address) || _entries.Length == 0)
        {
            return null;
        }
        return _entries[IndexOf(address)].Owner;
    }

    /// <summary>How many addresses entry <paramref name="index"/> owns.</summary>
    public ulong SpanSize(int index)
    {
        uint token = _entries[index].Token;
        return index + 1 < _entries.Length
            ? _entries[index + 1].Token - (ulong)token
            : End - token + (_entries[0].Token - (ulong)Start);
    }

    /// <summary>
    /// The contiguous intervals [start, end) entry <paramref name="index"/> owns: one, or two when the
    /// last entry wraps past the end of the range to the first token.
    /// </summary>
    public IEnumerable<(uint Start, ulong End)> Spans(int index)
    {
        uint token = _entries[index].Token;
        if (index + 1 < _entries.Length)
        {
            yield return (token, _entries[index + 1].Token);
            yield break;
        }
        yield return (token, End);
        if (_entries[0].Token > Start)
        {
            yield return (Start, _entries[0].Token);
        }
    }

    /// <summary>Every interval <paramref name="owner"/> owns, as (start, end, entry index), in address order per entry.</summary>
    public IEnumerable<(uint Start, ulong End, int Index)> OwnedBy(PeerName owner)
    {
        for (int i = 0; i < _entries.Length; i++)
        {
            if (_entries[i].Owner == owner)
            {
                foreach ((uint s, ulong e) in Spans(i))
                {
                    yield return (s, e, i);
                }
            }
        }
    }

    /// <summary>How many addresses each owner holds.</summary>
    public Dictionary<PeerName, long> OwnedCounts()
    {
        var counts = new Dictionary<PeerName, long>();
        for (int i = 0; i < _entries.Length; i++)
        {
            counts[_entries[i].Owner] = counts.GetValueOrDefault(_entries[i].Owner) + (long)SpanSize(i);
        }
        return counts;
    }

    public bool SameSeeds(Ring other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _seeds.AsSpan().SequenceEqual(other._seeds);
    }

    public bool Equals(Ring? other) =>
        other is not null && Range == other.Range && SameSeeds(other) && _entries.AsSpan().SequenceEqual(other._entries);

    public override bool Equals(object? obj) => Equals(obj as Ring);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Range);
        foreach (RingEntry e in _entries)
        {
            hash.Add(e);
        }
        return hash.ToHashCode();
    }

    public override string ToString() =>
        IsEmpty ? $"{Range}: not seeded" : $"{Range} seeds [{string.Join(",", _seeds)}]: " + string.Join("; ", _entries);
}

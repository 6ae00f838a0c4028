namespace Weave.Ipam.Rings;

internal sealed partial class Ring
{
    /// <summary>
    /// Merges two rings of the same range and seeds: the union of their tokens, and at a token both
    /// hold, the greater entry under <see cref="RingEntry.Compare"/> (higher version; at equal
    /// versions, higher owner name, then higher free count). A per-token maximum over a total order,
    /// so commutative, associative and idempotent. An empty ring is the identity. Pure: the policy
    /// of refusing a merge that takes away space where we have allocations is the allocator's.
    /// </summary>
    public static bool TryMerge(Ring ours, Ring theirs, out Ring merged, out string error)
    {
        ArgumentNullException.ThrowIfNull(ours);
        ArgumentNullException.ThrowIfNull(theirs);
        merged = ours;
        if (ours.Range != theirs.Range)
        {
            error = $"incompatible IP allocation ranges: ours is {ours.Range}, theirs is {theirs.Range}";
            return false;
        }
        if (theirs.IsEmpty)
        {
            error = "";
            return true;
        }
        if (ours.IsEmpty)
        {
            merged = theirs;
            error = "";
            return true;
        }
        if (!ours.SameSeeds(theirs))
        {
            error = $"IP allocation was seeded by different peers (ours: {string.Join(", ", ours._seeds)}; theirs: " +
                $"{string.Join(", ", theirs._seeds)}): the two rings can never merge. To join them, stop the routers on " +
                "one side, delete their IPAM data files, and restart them";
            return false;
        }
        RingEntry[] a = ours._entries, b = theirs._entries;
        var result = new List<RingEntry>(Math.Max(a.Length, b.Length));
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            if (j == b.Length || (i < a.Length && a[i].Token < b[j].Token))
            {
                result.Add(a[i++]);
            }
            else if (i == a.Length || b[j].Token < a[i].Token)
            {
                result.Add(b[j++]);
            }
            else
            {
                result.Add(RingEntry.Compare(a[i], b[j]) >= 0 ? a[i] : b[j]);
                i++;
                j++;
            }
        }
        if (result.Count > MaxEntries)
        {
            error = $"merged ring would have {result.Count} entries, more than {MaxEntries}";
            return false;
        }
        merged = result.Count == a.Length && System.Runtime.InteropServices.CollectionsMarshal.AsSpan(result).SequenceEqual(a) ? ours : new Ring(ours.Range, ours._seeds, [.. result]);
        error = "";
        return true;
    }

    /// <summary><see cref="TryMerge"/> for rings known to be compatible (tests, local use); throws otherwise.</summary>
    public static Ring Merge(Ring ours, Ring theirs) =>
        TryMerge(ours, theirs, out Ring merged, out string error) ? merged : throw new InvalidOperationException(error);
}

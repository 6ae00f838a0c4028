using System.Diagnostics.CodeAnalysis;

namespace Weave.Gossip.Topology;

/// <summary>
/// The topology CRDT: the latest record of every known peer. A join-semilattice: <see cref="Merge"/>
/// keeps, per name, the greater record under <see cref="Compare"/>, a total order, so merging is
/// commutative, associative and idempotent even when peers send conflicting records.
/// <para>
/// Merge treats every name alike, including our own: a record of ours from an earlier incarnation
/// (a higher version under an older UID) replaces our current one. The owner watches the delta
/// for its own name and answers with <see cref="SetLocal"/> at a higher version, as Weave does.
/// </para>
/// Not thread-safe: owned by one loop. Records are immutable, so <see cref="Clone"/> is shallow.
/// </summary>
public sealed class PeerTopology
{
    private readonly Dictionary<PeerName, PeerRecord> _records;

    public PeerTopology()
    {
        _records = [];
    }

    private PeerTopology(Dictionary<PeerName, PeerRecord> records)
    {
        _records = records;
    }

    public int Count => _records.Count;

    /// <summary>
    /// Goes up whenever who lists whom changes: a record added or removed, or one that lists other
    /// remote peers than the record it replaces. Gossip routes depend on nothing else, so a record
    /// that only changes its links' states (pending to established, a data path's health) leaves it.
    /// </summary>
    public long LinksGeneration { get; private set; }

    /// <summary>
    /// Goes up with every change at all: a record added, replaced (its links' states included) or
    /// removed. Data routes depend on the states too, so they follow this count.
    /// </summary>
    public long Generation { get; private set; }

    /// <summary>The current records, in no particular order; a live view (do not hold across changes).</summary>
    public IReadOnlyCollection<PeerRecord> Records => _records.Values;

    public bool TryGet(PeerName name, [MaybeNullWhen(false)] out PeerRecord record) => _records.TryGetValue(name, out record);

    /// <summary>
    /// Total order of two records of the same peer: <see cref="PeerRecord.Version"/>, then
    /// <see cref="PeerRecord.Uid"/>, then a deterministic content tie-break (nickname, cluster, then
    /// the connection lists element by element), so two different records never compare equal and merge
    /// stays a semilattice even for bad input. &gt;0 when <paramref name="a"/> is newer; 0 only when equal.
    /// </summary>
    public static int Compare(PeerRecord a, PeerRecord b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (ReferenceEquals(a, b))
        {
            return 0;
        }
        int c = DigestEntry.CompareVersions(a.Version, a.Uid, b.Version, b.Uid);
        if (c != 0)
        {
            return c;
        }
        c = a.Name.CompareTo(b.Name);
        if (c != 0)
        {
            return c;
        }
        c = string.CompareOrdinal(a.NickName, b.NickName);
        if (c != 0)
        {
            return c;
        }
        c = CompareClusters(a.Cluster, b.Cluster);
        if (c != 0)
        {
            return c;
        }
        IReadOnlyList<ConnectionSummary> x = a.Connections, y = b.Connections;
        int common = Math.Min(x.Count, y.Count);
        for (int i = 0; i < common; i++)
        {
            c = CompareConnections(x[i], y[i]);
            if (c != 0)
            {
                return c;
            }
        }
        return x.Count.CompareTo(y.Count);
    }

    /// <summary>None first, then by name, then by range (none first, then by its text: any total order will do).</summary>
    private static int CompareClusters(ClusterIdentity? a, ClusterIdentity? b)
    {
        if (a == b)
        {
            return 0;
        }
        if (a is null || b is null)
        {
            return a is null ? -1 : 1;
        }
        int c = string.CompareOrdinal(a.Name, b.Name);
        if (c != 0)
        {
            return c;
        }
        if (a.Range is null || b.Range is null)
        {
            return a.Range is null ? -1 : 1;
        }
        return string.CompareOrdinal(a.Range.Value.ToString(), b.Range.Value.ToString());
    }

    private static int CompareConnections(ConnectionSummary a, ConnectionSummary b)
    {
        int c = a.Remote.CompareTo(b.Remote);
        if (c != 0)
        {
            return c;
        }
        c = string.CompareOrdinal(a.RemoteAddress, b.RemoteAddress);
        if (c != 0)
        {
            return c;
        }
        c = a.Outbound.CompareTo(b.Outbound);
        return c != 0 ? c : a.Established.CompareTo(b.Established);
    }

    /// <summary>
    /// Keeps, per name, the newer of ours and theirs. Returns the records that changed our state (new
    /// names, or newer than what we had), one per name (the one we now hold), in the input order of
    /// each name's first improvement: the delta to relay. Pure apart from our own state.
    /// </summary>
    public IReadOnlyList<PeerRecord> Merge(IEnumerable<PeerRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        List<PeerRecord>? delta = null;
        Dictionary<PeerName, int>? positions = null;
        foreach (PeerRecord record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            if (_records.TryGetValue(record.Name, out PeerRecord? ours) && Compare(record, ours) <= 0)
            {
                continue;
            }
            Store(record, ours);
            delta ??= [];
            positions ??= [];
            if (positions.TryGetValue(record.Name, out int at))
            {
                delta[at] = record;
            }
            else
            {
                positions.Add(record.Name, delta.Count);
                delta.Add(record);
            }
        }
        return delta ?? (IReadOnlyList<PeerRecord>)[];
    }

    /// <summary>The owner writes its own record (no comparison; the owner guarantees it is newer).</summary>
    public void SetLocal(PeerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Store(record, _records.GetValueOrDefault(record.Name));
    }

    private void Store(PeerRecord record, PeerRecord? replaced)
    {
        _records[record.Name] = record;
        Generation++;
        if (replaced is null || !replaced.SameRemotes(record))
        {
            LinksGeneration++;
        }
    }

    /// <summary>
    /// Removes the peers not reachable from <paramref name="self"/> over advertised connections (a
    /// directed edge A→B when A's record lists B, established or not), except
    /// <paramref name="self"/> itself. Returns the removed records in name order.
    /// </summary>
    public IReadOnlyList<PeerRecord> RemoveUnreachable(PeerName self)
    {
        IReadOnlyList<PeerRecord> removed = FindUnreachable(self);
        foreach (PeerRecord record in removed)
        {
            Remove(record.Name);
        }
        return removed;
    }

    /// <summary>The records <see cref="RemoveUnreachable"/> would remove, in name order, without removing them.</summary>
    public IReadOnlyList<PeerRecord> FindUnreachable(PeerName self)
    {
        var reached = new HashSet<PeerName>(_records.Count) { self };
        var pending = new Stack<PeerRecord>();
        if (_records.TryGetValue(self, out PeerRecord? own))
        {
            pending.Push(own);
        }
        while (pending.TryPop(out PeerRecord? current))
        {
            foreach (ConnectionSummary connection in current.Connections)
            {
                if (reached.Add(connection.Remote) && _records.TryGetValue(connection.Remote, out PeerRecord? next))
                {
                    pending.Push(next);
                }
            }
        }
        var unreachable = new List<PeerRecord>();
        foreach (PeerRecord record in _records.Values)
        {
            if (!reached.Contains(record.Name))
            {
                unreachable.Add(record);
            }
        }
        unreachable.Sort(static (a, b) => a.Name.CompareTo(b.Name));
        return unreachable;
    }

    /// <summary>Removes one peer's record; false when there was none.</summary>
    public bool Remove(PeerName name)
    {
        if (!_records.Remove(name))
        {
            return false;
        }
        LinksGeneration++;
        Generation++;
        return true;
    }

    public PeerTopology Clone() => new(new Dictionary<PeerName, PeerRecord>(_records));

    /// <summary>(name, UID, version) of every record, sorted by name.</summary>
    public IReadOnlyList<DigestEntry> Digest()
    {
        var digest = new DigestEntry[_records.Count];
        int i = 0;
        foreach (PeerRecord record in _records.Values)
        {
            digest[i++] = new DigestEntry(record.Name, record.Uid, record.Version);
        }
        Array.Sort(digest, static (a, b) => a.Name.CompareTo(b.Name));
        return digest;
    }

    /// <summary>
    /// Compares a neighbour's digest with ours. <c>TheyLack</c>: our records newer (by version, then
    /// UID) than their entry or absent from their digest, in name order. <c>WeLack</c>: names whose
    /// entry is newer than our record or that we do not have, in their digest's order, each once.
    /// Records with equal version and UID count as the same (only their owner writes them).
    /// </summary>
    public (IReadOnlyList<PeerRecord> TheyLack, IReadOnlyList<PeerName> WeLack) CompareDigest(IReadOnlyList<DigestEntry> theirs)
    {
        ArgumentNullException.ThrowIfNull(theirs);
        var newestOfTheirs = new Dictionary<PeerName, DigestEntry>(theirs.Count);
        foreach (DigestEntry entry in theirs)
        {
            if (!newestOfTheirs.TryGetValue(entry.Name, out DigestEntry known) ||
                DigestEntry.CompareVersions(entry.Version, entry.Uid, known.Version, known.Uid) > 0)
            {
                newestOfTheirs[entry.Name] = entry;
            }
        }

        var weLack = new List<PeerName>();
        var decided = new HashSet<PeerName>(newestOfTheirs.Count);
        foreach (DigestEntry entry in theirs)
        {
            if (!decided.Add(entry.Name))
            {
                continue; // a duplicate name, already decided on its newest entry
            }
            DigestEntry newest = newestOfTheirs[entry.Name];
            if (!_records.TryGetValue(entry.Name, out PeerRecord? ours) ||
                DigestEntry.CompareVersions(newest.Version, newest.Uid, ours.Version, ours.Uid) > 0)
            {
                weLack.Add(entry.Name);
            }
        }

        var theyLack = new List<PeerRecord>();
        foreach (PeerRecord ours in _records.Values)
        {
            if (!newestOfTheirs.TryGetValue(ours.Name, out DigestEntry their) ||
                DigestEntry.CompareVersions(ours.Version, ours.Uid, their.Version, their.Uid) > 0)
            {
                theyLack.Add(ours);
            }
        }
        theyLack.Sort(static (a, b) => a.Name.CompareTo(b.Name));
        return (theyLack, weLack);
    }
}

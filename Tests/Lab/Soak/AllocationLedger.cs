namespace Weave.Lab.Soak;

/// <summary>
/// What the routers have acknowledged, kept by the soak's clients, and the check of it against
/// what the routers hold. An allocation answered 200 must stay with its address until a DELETE is
/// answered; a DELETE answered must not come back. A request with no answer (the router killed
/// under it, a timeout) may or may not have happened: it is settled by the next look at that router.
/// IDs name their host (<c>soak-h2-17</c>), so each ID is asked of one router only.
/// </summary>
public sealed class AllocationLedger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly HashSet<string> _freed = new(StringComparer.Ordinal);

    private enum State
    {
        Held,
        MaybeHeld,
        MaybeFreed,
    }

    private sealed record Entry(int Host, State State, string? Address);

    /// <summary>Allocations acknowledged and not freed (the uncertain ones not counted).</summary>
    public int HeldCount
    {
        get { lock (_gate) { return _entries.Values.Count(e => e.State == State.Held); } }
    }

    /// <summary>IDs of <paramref name="host"/> acknowledged and not freed, that a client may free.</summary>
    public string[] HeldBy(int host)
    {
        lock (_gate)
        {
            return [.. _entries.Where(e => e.Value.Host == host && e.Value.State == State.Held).Select(e => e.Key)];
        }
    }

    public void Allocated(int host, string id, string address)
    {
        lock (_gate) { _entries[id] = new Entry(host, State.Held, address); }
    }

    public void AllocationUnanswered(int host, string id)
    {
        lock (_gate) { _entries[id] = new Entry(host, State.MaybeHeld, null); }
    }

    public void Freed(string id)
    {
        lock (_gate)
        {
            _ = _entries.Remove(id);
            _ = _freed.Add(id);
        }
    }

    public void FreeUnanswered(string id)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(id, out Entry? entry))
            {
                _entries[id] = entry with { State = State.MaybeFreed };
            }
        }
    }

    /// <summary>
    /// Compares what the routers that answered hold (host → ID → address; routers that are down
    /// are absent) with the ledger, settles the unanswered requests of those routers, and returns
    /// every violation found: an address held twice, an acknowledged allocation missing or moved,
    /// a freed one back, one nobody asked for. Must not run while requests are in flight.
    /// </summary>
    public List<string> Check(IReadOnlyDictionary<int, Dictionary<string, string>> observed)
    {
        ArgumentNullException.ThrowIfNull(observed);
        var violations = new List<string>();
        lock (_gate)
        {
            foreach ((int host, Dictionary<string, string> held) in observed)
            {
                foreach ((string id, Entry entry) in _entries.Where(e => e.Value.Host == host).ToArray())
                {
                    bool present = held.TryGetValue(id, out string? address);
                    switch (entry.State)
                    {
                        case State.Held when !present:
                            violations.Add($"lost: {id} ({entry.Address}) acknowledged by host {host}, no longer held");
                            _ = _entries.Remove(id);
                            break;
                        case State.Held when address != entry.Address:
                            violations.Add($"moved: {id} acknowledged as {entry.Address}, now {address}");
                            _entries[id] = entry with { Address = address };
                            break;
                        case State.MaybeHeld or State.MaybeFreed when present:
                            _entries[id] = new Entry(host, State.Held, address);
                            break;
                        case State.MaybeHeld or State.MaybeFreed:
                            _ = _entries.Remove(id);
                            break;
                    }
                }
                foreach (string id in held.Keys.Where(id => !_entries.ContainsKey(id)))
                {
                    violations.Add(_freed.Contains(id)
                        ? $"back: {id} ({held[id]}) was freed (204) and is held again by host {host}"
                        : $"unknown: host {host} holds {id} ({held[id]}), never asked of it");
                }
            }
            var holders = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach ((string id, Entry entry) in _entries)
            {
                if (entry.Address is { } address)
                {
                    Add(holders, address, id);
                }
            }
            foreach ((int host, Dictionary<string, string> held) in observed)
            {
                foreach ((string id, string address) in held.Where(h => !_entries.ContainsKey(h.Key)))
                {
                    Add(holders, address, id);
                }
            }
            violations.AddRange(holders.Where(h => h.Value.Count > 1).Select(h => $"duplicate: {h.Key} held by {string.Join(", ", h.Value)}"));
        }
        return violations;
    }

    private static void Add(Dictionary<string, List<string>> holders, string address, string id)
    {
        if (!holders.TryGetValue(address, out List<string>? ids))
        {
            holders[address] = ids = [];
        }
        ids.Add(id);
    }
}

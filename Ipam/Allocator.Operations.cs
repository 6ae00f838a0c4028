using System.Net;

namespace Weave.Ipam;

public sealed partial class Allocator
{
    public const int MaxIdLength = 256;

    /// <summary>
    /// An address for <paramref name="id"/> in <paramref name="subnet"/> (the default subnet when
    /// null): the one it already has there (idempotent), else the lowest free host address of the
    /// subnet in our space, else one from space asked of another peer. Waits while the range is not
    /// seeded or space is on its way; fails after <see cref="IpamOptions.RequestTimeout"/>.
    /// </summary>
    public Task<AllocationResult> Allocate(string id, Cidr? subnet = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Cidr target = subnet ?? _options.EffectiveDefaultSubnet;
        AllocationResult? immediate = CheckId(id);
        if (immediate is null && (!_options.Range.Contains(target) || target.PrefixLength > 30))
        {
            immediate = AllocationResult.Failure(IpamErrorKind.Invalid,
                $"subnet {target} must lie inside the range {_options.Range} and hold at least 4 addresses");
        }
        if (immediate is null && _handedOff)
        {
            immediate = HandedOffFailure();
        }
        if (immediate is null && FindIn(id, target) is uint existing)
        {
            UpdateMetadata(id, metadata);
            immediate = AllocationResult.Success(Ip4.ToAddress(existing), target.PrefixLength);
        }
        if (immediate is not null)
        {
            Task<AllocationResult> answer = Answer(immediate);
            FlushLog();
            return answer;
        }
        var op = new PendingOp(PendingKind.Allocate, id, target, 0, target.PrefixLength, metadata, _time.GetUtcNow() + _options.RequestTimeout);
        return Enqueue(op);
    }

    /// <summary>
    /// Records <paramref name="address"/> for <paramref name="id"/>: in space we own, when free; in
    /// another peer's space, after asking that peer for exactly this address (it refuses if the
    /// address is in use there). Idempotent for the same ID. The address must lie in the range and
    /// the prefix length be the range's or a subnet's of it (at least 4 addresses), as
    /// <see cref="Allocate"/> gives them: an address outside the range is nobody's to give (Weave
    /// recorded it anyway, for Docker containers it had not addressed), and a prefix length wider
    /// than the range's would route others' addresses to whoever holds it.
    /// </summary>
    public Task<AllocationResult> Claim(string id, IPAddress address, int prefixLength, IReadOnlyDictionary<string, string>? metadata = null)
    {
        AllocationResult? immediate = CheckId(id);
        uint value = 0;
        if (immediate is null && (!Ip4.TryToUInt(address, out value) || prefixLength is < 0 or > 32))
        {
            immediate = AllocationResult.Failure(IpamErrorKind.Invalid, $"{address}/{prefixLength} is not an IPv4 address with a prefix length of 0 to 32");
        }
        if (immediate is null && !_options.Range.Contains(value))
        {
            immediate = AllocationResult.Failure(IpamErrorKind.Invalid, $"{address} is outside the range {_options.Range}: only its addresses can be claimed");
        }
        if (immediate is null && (prefixLength < _options.Range.PrefixLength || prefixLength > 30))
        {
            immediate = AllocationResult.Failure(IpamErrorKind.Invalid,
                $"{address}/{prefixLength}: the prefix length must be the range's ({_options.Range}) or a subnet's of it, {_options.Range.PrefixLength} to 30");
        }
        if (immediate is null && IsNetworkOrBroadcast(value, prefixLength))
        {
            immediate = AllocationResult.Failure(IpamErrorKind.Invalid, $"{address} is the network or broadcast address of its /{prefixLength} subnet");
        }
        if (immediate is null && _byAddress.TryGetValue(value, out string? holder))
        {
            if (holder == id)
            {
                UpdateMetadata(id, metadata);
            }
            immediate = holder == id
                ? AllocationResult.Success(address, prefixLength)
                : AllocationResult.Failure(IpamErrorKind.Conflict, $"{address} is already allocated to {holder}");
        }
        if (immediate is null && _handedOff)
        {
            immediate = HandedOffFailure();
        }
        if (immediate is not null)
        {
            Task<AllocationResult> answer = Answer(immediate);
            FlushLog();
            return answer;
        }
        var op = new PendingOp(PendingKind.Claim, id, default, value, prefixLength, metadata, _time.GetUtcNow() + _options.RequestTimeout);
        return Enqueue(op);
    }

    /// <summary>The addresses recorded for <paramref name="id"/> (empty when none).</summary>
    public IReadOnlyList<IpamAllocation> Lookup(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _byId.TryGetValue(id, out Holder? holder)
            ? [.. holder.Addresses.Select(a => new IpamAllocation(id, Ip4.ToAddress(a.Address), a.Prefix, holder.Metadata))]
            : [];
    }

    /// <summary>Every address we have recorded, sorted by address.</summary>
    public IReadOnlyList<IpamAllocation> List() =>
        [.. _byId.SelectMany(p => p.Value.Addresses.Select(a => (p.Key, a.Address, a.Prefix, p.Value.Metadata)))
            .OrderBy(a => a.Address)
            .Select(a => new IpamAllocation(a.Key, Ip4.ToAddress(a.Address), a.Prefix, a.Metadata))];

    /// <summary>Frees every address of <paramref name="id"/> and cancels its waiting requests.</summary>
    public Task<AllocationResult> Release(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        int cancelled = CancelPending(id, null);
        Task<AllocationResult> answer;
        if (!_byId.TryGetValue(id, out Holder? holder))
        {
            answer = Answer(cancelled > 0
                ? AllocationResult.Done($"cancelled {cancelled} waiting request(s) of {id}")
                : AllocationResult.Failure(IpamErrorKind.NotFound, $"no addresses recorded for {id}"));
            FlushLog();
            return answer;
        }
        (uint Address, int Prefix)[] released = [.. holder.Addresses];
        foreach ((uint address, _) in released)
        {
            Unrecord(id, address);
        }
        MarkUnsaved();
        DebugCheck();
        answer = Answer(AllocationResult.Done($"released {released.Length} address(es) of {id}"));
        Progress();
        FlushLog();
        return answer;
    }

    /// <summary>Frees one address of <paramref name="id"/>.</summary>
    public Task<AllocationResult> Release(string id, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!Ip4.TryToUInt(address, out uint value))
        {
            return Task.FromResult(AllocationResult.Failure(IpamErrorKind.Invalid, $"{address} is not an IPv4 address"));
        }
        CancelPending(id, value);
        Task<AllocationResult> answer;
        if (!_byAddress.TryGetValue(value, out string? holder) || holder != id)
        {
            answer = Answer(AllocationResult.Failure(IpamErrorKind.NotFound, $"{address} is not recorded for {id}"));
            FlushLog();
            return answer;
        }
        Unrecord(id, value);
        MarkUnsaved();
        DebugCheck();
        answer = Answer(AllocationResult.Done($"released {address} of {id}"));
        Progress();
        FlushLog();
        return answer;
    }

    /// <summary>
    /// IDs are shown one per line by <c>weave ps</c>, columns apart: an ID holding a line break, a
    /// space or another control character would break that for every ID after it, so it is refused.
    /// </summary>
    private static AllocationResult? CheckId(string id) =>
        string.IsNullOrEmpty(id) || id.Length > MaxIdLength || id.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))
            ? AllocationResult.Failure(IpamErrorKind.Invalid, $"an ID must have 1 to {MaxIdLength} printable characters without spaces")
            : null;

    private static AllocationResult HandedOffFailure() =>
        AllocationResult.Failure(IpamErrorKind.NotReady, "this peer has handed its address space to others and allocates no more");

    private static bool IsNetworkOrBroadcast(uint address, int prefixLength)
    {
        uint mask = Cidr.Mask(prefixLength);
        return (address & ~mask) == 0 || (address | mask) == uint.MaxValue;
    }

    /// <summary>The lowest host address of <paramref name="subnet"/> that <paramref name="id"/> already holds, if any.</summary>
    private uint? FindIn(string id, Cidr subnet)
    {
        uint? found = null;
        if (_byId.TryGetValue(id, out Holder? holder))
        {
            foreach ((uint address, _) in holder.Addresses)
            {
                if (address >= subnet.FirstHostValue && address <= subnet.LastHostValue && (found is null || address < found))
                {
                    found = address;
                }
            }
        }
        return found;
    }

    /// <summary>Replaces an ID's metadata when new metadata is given.</summary>
    private void UpdateMetadata(string id, IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null || !_byId.TryGetValue(id, out Holder? holder) || SameMetadata(holder.Metadata, metadata))
        {
            return;
        }
        holder.Metadata = new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        _dirtyIds.Add(id);
        MarkUnsaved();
    }

    private static bool SameMetadata(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out string? v) && v == p.Value);

    /// <summary>Records; saved with the next write, which the success answer waits for.</summary>
    private AllocationResult Take(string id, uint address, int prefix, IReadOnlyDictionary<string, string>? metadata)
    {
        IReadOnlyDictionary<string, string>? copy = metadata is null ? null : new Dictionary<string, string>(metadata, StringComparer.Ordinal);
        Record(id, address, prefix, copy);
        MarkUnsaved();
        DebugCheck();
        return AllocationResult.Success(Ip4.ToAddress(address), prefix);
    }
}

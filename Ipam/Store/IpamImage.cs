using System.Diagnostics.CodeAnalysis;
using Weave.Gossip;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;

namespace Weave.Ipam.Store;

/// <summary>
/// A whole state that changes apply to: what a state file's records add up to when it is read,
/// and the allocator's copy of what is durable (to undo to when a write fails, and to write whole
/// when the journal is compacted). Changed by one caller at a time.
/// </summary>
internal sealed class IpamImage
{
    private readonly Dictionary<string, IdAllocations> _ids;
    private readonly Dictionary<PeerName, string> _nicknames;

    private IpamImage(PeerName self, Ring ring, NodeClaims? claims, Dictionary<PeerName, string> nicknames, Dictionary<string, IdAllocations> ids)
    {
        Self = self;
        Ring = ring;
        Claims = claims;
        _nicknames = nicknames;
        _ids = ids;
    }

    public PeerName Self { get; }

    public Ring Ring { get; private set; }

    public NodeClaims? Claims { get; private set; }

    public IReadOnlyDictionary<PeerName, string> Nicknames => _nicknames;

    public IReadOnlyCollection<IdAllocations> Ids => _ids.Values;

    public static IpamImage Of(IpamState state) => new(state.Self, state.Ring, state.Claims,
        new Dictionary<PeerName, string>(state.Nicknames), state.Ids.ToDictionary(a => a.Id, StringComparer.Ordinal));

    public static IpamImage Empty(PeerName self, Ring ring) =>
        new(self, ring, null, [], new Dictionary<string, IdAllocations>(StringComparer.Ordinal));

    public IpamImage Copy() => new(Self, Ring, Claims, new Dictionary<PeerName, string>(_nicknames),
        new Dictionary<string, IdAllocations>(_ids, StringComparer.Ordinal));

    public void Apply(IpamChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        Ring = changes.Ring ?? Ring;
        if (changes.ClaimsChanged)
        {
            Claims = changes.Claims;
        }
        foreach ((PeerName name, string nick) in changes.Nicknames)
        {
            _nicknames[name] = nick;
        }
        foreach (IdAllocations a in changes.Ids)
        {
            if (a.Addresses.Length == 0)
            {
                _ids.Remove(a.Id);
            }
            else
            {
                _ids[a.Id] = a;
            }
        }
    }

    /// <summary>The state, after checking what a whole state's decoder checks of its parts together: no address held twice, all in our space.</summary>
    public bool TryToState(int formatVersion, [NotNullWhen(true)] out IpamState? state, out string error)
    {
        state = null;
        var seen = new HashSet<uint>();
        foreach (IdAllocations a in _ids.Values)
        {
            foreach ((uint address, _) in a.Addresses)
            {
                if (!seen.Add(address))
                {
                    error = $"{Ip4.Format(address)} is held by two IDs";
                    return false;
                }
            }
        }
        IdAllocations[] ids = [.. _ids.Values];
        if (!IpamStateCodec.TryCheckOwnership(Self, Ring, ids, out error))
        {
            return false;
        }
        state = new IpamState(Self, Ring, ids, Claims, new Dictionary<PeerName, string>(_nicknames), formatVersion);
        return true;
    }

    /// <summary>The state as it is, without the checks (the allocator's copy is kept valid as it is made).</summary>
    public IpamState ToState() => new(Self, Ring, [.. _ids.Values], Claims, new Dictionary<PeerName, string>(_nicknames));
}

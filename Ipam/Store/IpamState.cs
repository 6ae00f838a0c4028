using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Weave.Gossip;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;

namespace Weave.Ipam.Store;

/// <summary>
/// What the allocator persists: our peer name, the range, the ring, our allocations with their
/// metadata, our consensus claims (an acceptor must not forget its promises) and the nicknames we
/// know. The file is checksummed frames (<see cref="StateFile"/>) around MessagePack bodies
/// (<see cref="IpamStateCodec"/>): the whole state, then the changes of each write since.
/// </summary>
public sealed class IpamState
{
    public const int CurrentFormatVersion = StateFile.CurrentVersion;

    private IReadOnlyList<IpamAllocation>? _allocations;

    internal IpamState(PeerName self, Ring ring, IdAllocations[] ids, NodeClaims? claims,
        IReadOnlyDictionary<PeerName, string> nicknames, int formatVersion = CurrentFormatVersion)
    {
        FormatVersion = formatVersion;
        Self = self;
        Ring = ring;
        Ids = ids;
        Claims = claims;
        Nicknames = nicknames;
    }

    /// <summary>The format the state was read in (<see cref="CurrentFormatVersion"/> for states we made).</summary>
    public int FormatVersion { get; }

    public PeerName Self { get; }

    public Cidr Range => Ring.Range;

    /// <summary>Every address, ID by ID.</summary>
    public IReadOnlyList<IpamAllocation> Allocations => _allocations ??=
        [.. Ids.SelectMany(a => a.Addresses.Select(x => new IpamAllocation(a.Id, Ip4.ToAddress(x.Address), x.Prefix, a.Metadata)))];

    internal IdAllocations[] Ids { get; }

    internal Ring Ring { get; }

    internal NodeClaims? Claims { get; }

    internal IReadOnlyDictionary<PeerName, string> Nicknames { get; }

    /// <summary>The file's bytes, in the current format, with no changes after the state.</summary>
    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        Encode(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    internal void Encode(ArrayBufferWriter<byte> output) => IpamStateCodec.WriteState(output, Self, Ring, Ids, Claims, Nicknames);

    /// <summary>
    /// Reads a state file: its state and the changes after it, when every frame's length and
    /// checksums match (a last change record cut short by a crash is left out), or format 2 or 1.
    /// Never throws: false with the reason for anything else, truncated or garbled.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> bytes, [NotNullWhen(true)] out IpamState? state, out string error) =>
        TryDecode(bytes, out state, out _, out error);

    /// <summary>As <see cref="TryDecode(ReadOnlyMemory{byte}, out IpamState?, out string)"/>; <paramref name="validLength"/> is where the last whole record ends.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> bytes, [NotNullWhen(true)] out IpamState? state, out int validLength, out string error)
    {
        state = null;
        if (!StateFile.TryRead(bytes, out ReadOnlyMemory<byte> body, out int version, out List<ReadOnlyMemory<byte>> changes, out validLength, out error) ||
            !IpamStateCodec.TryReadBody(body, version, out state, out error))
        {
            state = null;
            return false;
        }
        if (changes.Count == 0)
        {
            return true;
        }
        IpamImage image = IpamImage.Of(state);
        for (int i = 0; i < changes.Count; i++)
        {
            if (!IpamStateCodec.TryReadChanges(changes[i], state.Self, state.Range, out IpamChanges? change, out error))
            {
                error = $"change record {i + 1} of {changes.Count}: {error}";
                state = null;
                return false;
            }
            image.Apply(change);
        }
        if (!image.TryToState(version, out state, out error))
        {
            error = $"after its {changes.Count} change records: {error}";
            return false;
        }
        return true;
    }
}

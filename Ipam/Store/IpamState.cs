using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Weave.Gossip;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;

namespace Weave.Ipam.Store;

/// <summary>
/// What the allocator persists: our peer name, the range, the ring, our allocations with their
/// metadata, our consensus claims (an acceptor must not forget its promises) and the nicknames we
/// know. The file is a checksummed frame (<see cref="StateFile"/>) around a MessagePack body
/// (<see cref="IpamStateCodec"/>).
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

    /// <summary>The file's bytes, in the current format.</summary>
    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        IpamStateCodec.WriteFile(buffer, Self, Ring, Ids, Claims, Nicknames);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a state file: the current format when its length and checksum match, or format 1 (no
    /// checksum). Never throws: false with the reason for anything else, truncated or garbled.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> bytes, [NotNullWhen(true)] out IpamState? state, out string error)
    {
        state = null;
        return StateFile.TryUnwrap(bytes, out ReadOnlyMemory<byte> body, out int version, out error) &&
            IpamStateCodec.TryReadBody(body, version, out state, out error);
    }
}

using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;
using Weave.Gossip;
using Weave.Gossip.Protocol;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;
using Weave.Ipam.Wire;

namespace Weave.Ipam.Store;

/// <summary>
/// The bodies of the state file's frames (<see cref="StateFile"/>) in MessagePack, written and read
/// with the low-level writer and reader. The whole state:
/// <c>["weave-ipam", format, peer, range start, prefix, ring, [[id, [[address, prefix]...], [[key, value]...]]...],
/// claims or nil, [[peer, nickname]...]]</c>; the changes of one write:
/// <c>["weave-ipam-changes", ring or nil, claims changed, claims or nil, [[peer, nickname]...], [[id, [[address, prefix]...], [[key, value]...]]...]]</c>,
/// where an ID with no addresses holds none any more. Counts are checked against limits before
/// anything is allocated. Reading never throws: a malformed body is a false with the reason.
/// </summary>
internal static class IpamStateCodec
{
    private const string Magic = "weave-ipam";
    private const string ChangesMagic = "weave-ipam-changes";
    private const int MaxIds = 1 << 20;
    private const int MaxAddressesPerId = 64;
    private const int MaxMetadata = 32;
    private const int MaxStringLength = 1024;

    /// <summary>Appends the frame of the whole state, the file's first, to <paramref name="output"/>.</summary>
    public static void WriteState(ArrayBufferWriter<byte> output, PeerName self, Ring ring, ReadOnlySpan<IdAllocations> ids, NodeClaims? claims,
        IReadOnlyDictionary<PeerName, string> nicknames)
    {
        int start = StateFile.BeginWrite(output, FrameKind.State);
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(9);
        writer.Write(Magic);
        writer.Write(StateFile.CurrentVersion);
        writer.Write(self.Value);
        writer.Write(ring.Range.Start);
        writer.Write(ring.Range.PrefixLength);
        RingCodec.Write(ref writer, ring);
        WriteAllocations(ref writer, ids);
        WriteClaims(ref writer, self, claims);
        WriteNicknames(ref writer, nicknames);
        writer.Flush();
        StateFile.EndWrite(output, start);
    }

    /// <summary>Appends the frame of one write's changes to <paramref name="output"/>.</summary>
    public static void WriteChanges(ArrayBufferWriter<byte> output, PeerName self, IpamChanges changes)
    {
        int start = StateFile.BeginWrite(output, FrameKind.Changes);
        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(6);
        writer.Write(ChangesMagic);
        if (changes.Ring is null)
        {
            writer.WriteNil();
        }
        else
        {
            RingCodec.Write(ref writer, changes.Ring);
        }
        writer.Write(changes.ClaimsChanged);
        WriteClaims(ref writer, self, changes.Claims);
        WriteNicknames(ref writer, changes.Nicknames);
        WriteAllocations(ref writer, changes.Ids);
        writer.Flush();
        StateFile.EndWrite(output, start);
    }

    private static void WriteAllocations(ref MessagePackWriter writer, ReadOnlySpan<IdAllocations> ids)
    {
        writer.WriteArrayHeader(ids.Length);
        foreach (IdAllocations a in ids)
        {
            writer.WriteArrayHeader(3);
            writer.Write(a.Id);
            writer.WriteArrayHeader(a.Addresses.Length);
            foreach ((uint address, int prefix) in a.Addresses)
            {
                writer.WriteArrayHeader(2);
                writer.Write(address);
                writer.Write(prefix);
            }
            WriteMetadata(ref writer, a.Metadata);
        }
    }

    private static void WriteClaims(ref MessagePackWriter writer, PeerName self, NodeClaims? claims)
    {
        if (claims is null)
        {
            writer.WriteNil();
        }
        else
        {
            IpamWire.WriteClaims(ref writer, self, claims);
        }
    }

    private static void WriteNicknames(ref MessagePackWriter writer, IReadOnlyDictionary<PeerName, string> nicknames)
    {
        writer.WriteArrayHeader(nicknames.Count);
        foreach ((PeerName name, string nick) in nicknames.OrderBy(p => p.Key))
        {
            writer.WriteArrayHeader(2);
            writer.Write(name.Value);
            writer.Write(nick);
        }
    }

    /// <summary>Metadata as <c>[[key, value]...]</c>, sorted by key so equal states encode alike.</summary>
    private static void WriteMetadata(ref MessagePackWriter writer, IReadOnlyDictionary<string, string> metadata)
    {
        writer.WriteArrayHeader(metadata.Count);
        if (metadata.Count == 0)
        {
            return;
        }
        foreach ((string key, string value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteArrayHeader(2);
            writer.Write(key);
            writer.Write(value);
        }
    }

    public static bool TryReadBody(ReadOnlyMemory<byte> body, int version, [NotNullWhen(true)] out IpamState? state, out string error)
    {
        state = null;
        try
        {
            var reader = new MessagePackReader(body);
            if (reader.ReadArrayHeader() != 9 || reader.ReadString() != Magic)
            {
                error = "not an IPAM state (no weave-ipam header)";
                return false;
            }
            int format = reader.ReadInt32();
            if (format != version)
            {
                error = $"the body says format {format}, the file format {version}";
                return false;
            }
            if (!RingCodec.TryReadPeerName(ref reader, out PeerName self) || self.Value == 0)
            {
                error = "no valid peer name";
                return false;
            }
            if (!RingCodec.TryReadRange(reader.ReadUInt32(), reader.ReadInt32(), out Cidr range, out error) ||
                !RingCodec.TryRead(ref reader, out Ring? ring, out error))
            {
                return false;
            }
            if (ring.Range != range)
            {
                error = $"range {range} differs from its ring's {ring.Range}";
                return false;
            }
            if (!TryReadAllocations(ref reader, minAddresses: 1, out IdAllocations[]? ids, out error) || !TryCheckOwnership(self, ring, ids, out error))
            {
                return false;
            }
            if (!TryReadClaims(ref reader, self, out NodeClaims? claims, out error) || !TryReadNicknames(ref reader, out Dictionary<PeerName, string>? nicknames, out error))
            {
                return false;
            }
            if (!reader.End)
            {
                error = "trailing bytes after the state";
                return false;
            }
            state = new IpamState(self, ring, ids, claims, nicknames, format);
            error = "";
            return true;
        }
        // Besides the reader's errors, InvalidOperationException: the ring's and the claims'
        // constructors refuse inconsistent contents with it.
        catch (Exception e) when (MalformedInput.IsMessagePackError(e) || e is InvalidOperationException)
        {
            error = "malformed: " + e.Message;
            return false;
        }
    }

    /// <summary>
    /// The body of a change record of <paramref name="self"/>'s state; the ring it carries must be
    /// of <paramref name="range"/>. Whether the changes fit the state they apply to (no address
    /// twice, all in our space) is checked once they all are (<see cref="IpamImage.TryToState"/>).
    /// </summary>
    public static bool TryReadChanges(ReadOnlyMemory<byte> body, PeerName self, Cidr range, [NotNullWhen(true)] out IpamChanges? changes, out string error)
    {
        changes = null;
        try
        {
            var reader = new MessagePackReader(body);
            if (reader.ReadArrayHeader() != 6 || reader.ReadString() != ChangesMagic)
            {
                error = "not a change record (no weave-ipam-changes header)";
                return false;
            }
            Ring? ring = null;
            if (!reader.TryReadNil())
            {
                if (!RingCodec.TryRead(ref reader, out ring, out error))
                {
                    return false;
                }
                if (ring.Range != range)
                {
                    error = $"a ring of range {ring.Range} in a state of range {range}";
                    return false;
                }
            }
            bool claimsChanged = reader.ReadBoolean();
            if (!TryReadClaims(ref reader, self, out NodeClaims? claims, out error) ||
                !TryReadNicknames(ref reader, out Dictionary<PeerName, string>? nicknames, out error) ||
                !TryReadAllocations(ref reader, minAddresses: 0, out IdAllocations[]? ids, out error))
            {
                return false;
            }
            if (!reader.End)
            {
                error = "trailing bytes after the changes";
                return false;
            }
            changes = new IpamChanges(ring, claimsChanged, claims, nicknames, ids);
            error = "";
            return true;
        }
        catch (Exception e) when (MalformedInput.IsMessagePackError(e) || e is InvalidOperationException)
        {
            error = "malformed: " + e.Message;
            return false;
        }
    }

    private static bool TryReadClaims(ref MessagePackReader reader, PeerName self, out NodeClaims? claims, out string error)
    {
        claims = null;
        error = "";
        if (reader.TryReadNil())
        {
            return true;
        }
        if (!IpamWire.TryReadClaims(ref reader, out PeerName owner, out claims, out error))
        {
            return false;
        }
        if (owner != self)
        {
            error = "it holds another peer's consensus claims";
            return false;
        }
        return true;
    }

    private static bool TryReadAllocations(ref MessagePackReader reader, int minAddresses, [NotNullWhen(true)] out IdAllocations[]? ids, out string error)
    {
        ids = null;
        int count = reader.ReadArrayHeader();
        if (count > MaxIds)
        {
            error = $"{count} IDs, more than {MaxIds}";
            return false;
        }
        var list = new List<IdAllocations>(Math.Min(count, 4096));
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        var seenAddresses = new HashSet<uint>();
        for (int i = 0; i < count; i++)
        {
            if (reader.ReadArrayHeader() != 3 || reader.ReadString() is not { Length: > 0 and <= MaxStringLength } id || !seenIds.Add(id))
            {
                error = "a malformed or repeated ID";
                return false;
            }
            int addressCount = reader.ReadArrayHeader();
            if (addressCount < minAddresses || addressCount > MaxAddressesPerId)
            {
                error = $"{addressCount} addresses for {id}";
                return false;
            }
            var addresses = new (uint Address, int Prefix)[addressCount];
            for (int j = 0; j < addressCount; j++)
            {
                if (reader.ReadArrayHeader() != 2)
                {
                    error = "a malformed address";
                    return false;
                }
                addresses[j] = (reader.ReadUInt32(), reader.ReadInt32());
                if (addresses[j].Prefix is < 0 or > 32 || !seenAddresses.Add(addresses[j].Address))
                {
                    error = $"a bad prefix length or a repeated address ({Ip4.Format(addresses[j].Address)})";
                    return false;
                }
            }
            int metaCount = reader.ReadArrayHeader();
            if (metaCount > MaxMetadata)
            {
                error = $"{metaCount} metadata entries for {id}, more than {MaxMetadata}";
                return false;
            }
            var metadata = new Dictionary<string, string>(metaCount, StringComparer.Ordinal);
            for (int j = 0; j < metaCount; j++)
            {
                if (reader.ReadArrayHeader() != 2 || reader.ReadString() is not { Length: <= MaxStringLength } key ||
                    reader.ReadString() is not { Length: <= MaxStringLength } value)
                {
                    error = "malformed metadata";
                    return false;
                }
                metadata[key] = value;
            }
            list.Add(new IdAllocations(id, addresses, metadata));
        }
        ids = [.. list];
        error = "";
        return true;
    }

    /// <summary>
    /// Every allocation inside the range lies in space the ring gives us: the allocator keeps that
    /// true of every state it saves, and would refuse to start from one where it is not.
    /// </summary>
    internal static bool TryCheckOwnership(PeerName self, Ring ring, IdAllocations[] ids, out string error)
    {
        foreach (IdAllocations a in ids)
        {
            foreach ((uint address, _) in a.Addresses)
            {
                if (ring.Range.Contains(address) && ring.OwnerOf(address) is var owner && owner != self)
                {
                    error = $"{Ip4.Format(address)} of {a.Id} lies in space owned by {owner?.ToString() ?? "nobody"}, not by this peer";
                    return false;
                }
            }
        }
        error = "";
        return true;
    }

    private static bool TryReadNicknames(ref MessagePackReader reader, [NotNullWhen(true)] out Dictionary<PeerName, string>? nicknames, out string error)
    {
        nicknames = null;
        int count = reader.ReadArrayHeader();
        if (count > IpamWire.MaxNicknames)
        {
            error = $"{count} nicknames, more than {IpamWire.MaxNicknames}";
            return false;
        }
        var map = new Dictionary<PeerName, string>(count);
        for (int i = 0; i < count; i++)
        {
            if (reader.ReadArrayHeader() != 2 || !RingCodec.TryReadPeerName(ref reader, out PeerName name) ||
                reader.ReadString() is not { Length: <= IpamWire.MaxNicknameLength } nick)
            {
                error = "a malformed nickname";
                return false;
            }
            map[name] = nick;
        }
        nicknames = map;
        error = "";
        return true;
    }
}

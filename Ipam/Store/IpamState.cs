using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using MessagePack;
using Weave.Gossip;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;
using Weave.Ipam.Wire;

namespace Weave.Ipam.Store;

/// <summary>
/// What the allocator persists: format version, our peer name, the range, the ring, our
/// allocations with their metadata, our consensus claims (an acceptor must not forget its promises)
/// and the nicknames we know. Encoded with the low-level MessagePack writer:
/// <c>["weave-ipam", format, peer, range start, prefix, ring, [[id, [[address, prefix]...], [[key, value]...]]...],
/// claims or nil, [[peer, nickname]...]]</c>.
/// </summary>
public sealed class IpamState
{
    public const int CurrentFormatVersion = 1;
    private const string Magic = "weave-ipam";
    private const int MaxIds = 1 << 20;
    private const int MaxAddressesPerId = 64;
    private const int MaxMetadata = 32;
    private const int MaxStringLength = 1024;

    internal IpamState(PeerName self, Ring ring, IReadOnlyList<IpamAllocation> allocations, NodeClaims? claims,
        IReadOnlyDictionary<PeerName, string> nicknames, int formatVersion = CurrentFormatVersion)
    {
        FormatVersion = formatVersion;
        Self = self;
        Ring = ring;
        Allocations = allocations;
        Claims = claims;
        Nicknames = nicknames;
    }

    public int FormatVersion { get; }

    public PeerName Self { get; }

    public Cidr Range => Ring.Range;

    public IReadOnlyList<IpamAllocation> Allocations { get; }

    internal Ring Ring { get; }

    internal NodeClaims? Claims { get; }

    internal IReadOnlyDictionary<PeerName, string> Nicknames { get; }

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(9);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(Self.Value);
        writer.Write(Range.Start);
        writer.Write(Range.PrefixLength);
        RingCodec.Write(ref writer, Ring);
        var byId = Allocations.GroupBy(a => a.Id, StringComparer.Ordinal).ToList();
        writer.WriteArrayHeader(byId.Count);
        foreach (IGrouping<string, IpamAllocation> group in byId)
        {
            writer.WriteArrayHeader(3);
            writer.Write(group.Key);
            writer.WriteArrayHeader(group.Count());
            foreach (IpamAllocation a in group)
            {
                writer.WriteArrayHeader(2);
                writer.Write(Ip4.ToUInt(a.Address));
                writer.Write(a.PrefixLength);
            }
            IReadOnlyDictionary<string, string> metadata = group.First().Metadata;
            writer.WriteArrayHeader(metadata.Count);
            foreach ((string key, string value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteArrayHeader(2);
                writer.Write(key);
                writer.Write(value);
            }
        }
        if (Claims is null)
        {
            writer.WriteNil();
        }
        else
        {
            IpamWire.WriteClaims(ref writer, Self, Claims);
        }
        writer.WriteArrayHeader(Nicknames.Count);
        foreach ((PeerName name, string nick) in Nicknames.OrderBy(p => p.Key))
        {
            writer.WriteArrayHeader(2);
            writer.Write(name.Value);
            writer.Write(nick);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static bool TryDecode(ReadOnlyMemory<byte> bytes, [NotNullWhen(true)] out IpamState? state, out string error)
    {
        state = null;
        try
        {
            var reader = new MessagePackReader(bytes);
            if (reader.ReadArrayHeader() != 9 || reader.ReadString() != Magic)
            {
                error = "not an IPAM state (no weave-ipam header)";
                return false;
            }
            int format = reader.ReadInt32();
            if (format != CurrentFormatVersion)
            {
                error = $"IPAM state format {format} is not the supported {CurrentFormatVersion}";
                return false;
            }
            if (!RingCodec.TryReadPeerName(ref reader, out PeerName self) || self.Value == 0)
            {
                error = "IPAM state has no valid peer name";
                return false;
            }
            if (!RingCodec.TryReadRange(reader.ReadUInt32(), reader.ReadInt32(), out Cidr range, out error) ||
                !RingCodec.TryRead(ref reader, out Ring? ring, out error))
            {
                return false;
            }
            if (ring.Range != range)
            {
                error = $"IPAM state range {range} differs from its ring's {ring.Range}";
                return false;
            }
            if (!TryReadAllocations(ref reader, out List<IpamAllocation>? allocations, out error))
            {
                return false;
            }
            NodeClaims? claims = null;
            if (!reader.TryReadNil())
            {
                if (!IpamWire.TryReadClaims(ref reader, out PeerName owner, out claims, out error))
                {
                    return false;
                }
                if (owner != self)
                {
                    error = "IPAM state holds another peer's consensus claims";
                    return false;
                }
            }
            int nickCount = reader.ReadArrayHeader();
            if (nickCount > IpamWire.MaxNicknames)
            {
                error = "IPAM state has too many nicknames";
                return false;
            }
            var nicknames = new Dictionary<PeerName, string>(nickCount);
            for (int i = 0; i < nickCount; i++)
            {
                if (reader.ReadArrayHeader() != 2 || !RingCodec.TryReadPeerName(ref reader, out PeerName name) ||
                    reader.ReadString() is not { Length: <= IpamWire.MaxNicknameLength } nick)
                {
                    error = "IPAM state has a malformed nickname";
                    return false;
                }
                nicknames[name] = nick;
            }
            if (!reader.End)
            {
                error = "IPAM state has trailing bytes";
                return false;
            }
            state = new IpamState(self, ring, allocations, claims, nicknames, format);
            error = "";
            return true;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidOperationException)
        {
            error = "malformed IPAM state: " + e.Message;
            return false;
        }
    }

    private static bool TryReadAllocations(ref MessagePackReader reader, [NotNullWhen(true)] out List<IpamAllocation>? allocations, out string error)
    {
        allocations = null;
        int ids = reader.ReadArrayHeader();
        if (ids > MaxIds)
        {
            error = "IPAM state has too many IDs";
            return false;
        }
        var list = new List<IpamAllocation>(ids);
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        var seenAddresses = new HashSet<uint>();
        for (int i = 0; i < ids; i++)
        {
            if (reader.ReadArrayHeader() != 3 || reader.ReadString() is not { Length: > 0 and <= MaxStringLength } id || !seenIds.Add(id))
            {
                error = "IPAM state has a malformed or repeated ID";
                return false;
            }
            int count = reader.ReadArrayHeader();
            if (count is < 1 or > MaxAddressesPerId)
            {
                error = $"IPAM state records {count} addresses for {id}";
                return false;
            }
            var addresses = new (uint Address, int Prefix)[count];
            for (int j = 0; j < count; j++)
            {
                if (reader.ReadArrayHeader() != 2)
                {
                    error = "IPAM state has a malformed address";
                    return false;
                }
                addresses[j] = (reader.ReadUInt32(), reader.ReadInt32());
                if (addresses[j].Prefix is < 0 or > 32 || !seenAddresses.Add(addresses[j].Address))
                {
                    error = $"IPAM state has a bad prefix length or a repeated address ({Ip4.Format(addresses[j].Address)})";
                    return false;
                }
            }
            int metaCount = reader.ReadArrayHeader();
            if (metaCount > MaxMetadata)
            {
                error = "IPAM state has too much metadata";
                return false;
            }
            var metadata = new Dictionary<string, string>(metaCount, StringComparer.Ordinal);
            for (int j = 0; j < metaCount; j++)
            {
                if (reader.ReadArrayHeader() != 2 || reader.ReadString() is not { Length: <= MaxStringLength } key ||
                    reader.ReadString() is not { Length: <= MaxStringLength } value)
                {
                    error = "IPAM state has malformed metadata";
                    return false;
                }
                metadata[key] = value;
            }
            foreach ((uint address, int prefix) in addresses)
            {
                list.Add(new IpamAllocation(id, Ip4.ToAddress(address), prefix, metadata));
            }
        }
        allocations = list;
        error = "";
        return true;
    }

    internal static IPAddress AddressOf(uint value) => Ip4.ToAddress(value);
}

using System.Diagnostics.CodeAnalysis;
using MessagePack;
using Weave.Gossip;

namespace Weave.Ipam.Rings;

/// <summary>
/// The ring in MessagePack, written and read with the low-level writer and reader (no reflection):
/// <c>[range start (uint32), prefix length, [seed peer names (uint64)...], [[token (uint32), owner
/// (uint64), version (uint32), free (uint32)]...]]</c>. Counts are checked against the limits before
/// anything is allocated; the result is validated (<see cref="Ring.TryValidate"/>). Reading throws
/// only MessagePack's own exceptions, which the callers turn into a refusal.
/// </summary>
internal static class RingCodec
{
    public static void Write(ref MessagePackWriter writer, Ring ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        writer.WriteArrayHeader(4);
        writer.Write(ring.Range.Start);
        writer.Write(ring.Range.PrefixLength);
        writer.WriteArrayHeader(ring.Seeds.Length);
        foreach (PeerName seed in ring.Seeds)
        {
            writer.Write(seed.Value);
        }
        writer.WriteArrayHeader(ring.Count);
        foreach (RingEntry e in ring.Entries)
        {
            writer.WriteArrayHeader(4);
            writer.Write(e.Token);
            writer.Write(e.Owner.Value);
            writer.Write(e.Version);
            writer.Write(e.Free);
        }
    }

    public static bool TryRead(ref MessagePackReader reader, [NotNullWhen(true)] out Ring? ring, out string error)
    {
        ring = null;
        if (reader.ReadArrayHeader() != 4)
        {
            error = "ring is not a 4-element array";
            return false;
        }
        uint start = reader.ReadUInt32();
        int prefix = reader.ReadInt32();
        if (!TryReadRange(start, prefix, out Cidr range, out error))
        {
            return false;
        }
        int seedCount = reader.ReadArrayHeader();
        if (seedCount > Ring.MaxSeeds)
        {
            error = $"ring has {seedCount} seeds, more than {Ring.MaxSeeds}";
            return false;
        }
        var seeds = new PeerName[seedCount];
        for (int i = 0; i < seedCount; i++)
        {
            if (!TryReadPeerName(ref reader, out seeds[i]))
            {
                error = "ring seed is not a 48-bit peer name";
                return false;
            }
        }
        int entryCount = reader.ReadArrayHeader();
        if (entryCount > Ring.MaxEntries)
        {
            error = $"ring has {entryCount} entries, more than {Ring.MaxEntries}";
            return false;
        }
        var entries = new RingEntry[entryCount];
        for (int i = 0; i < entryCount; i++)
        {
            if (reader.ReadArrayHeader() != 4)
            {
                error = "ring entry is not a 4-element array";
                return false;
            }
            uint token = reader.ReadUInt32();
            if (!TryReadPeerName(ref reader, out PeerName owner))
            {
                error = "ring entry owner is not a 48-bit peer name";
                return false;
            }
            entries[i] = new RingEntry(token, owner, reader.ReadUInt32(), reader.ReadUInt32());
        }
        return Ring.TryCreate(range, seeds, entries, out ring, out error);
    }

    public static bool TryReadRange(uint start, int prefix, out Cidr range, out string error)
    {
        range = default;
        if (prefix is < 1 or > 30 || (start & ~Cidr.Mask(prefix)) != 0)
        {
            error = $"{Ip4.Format(start)}/{prefix} is not an aligned range between /1 and /30";
            return false;
        }
        range = Cidr.FromValue(start, prefix);
        error = "";
        return true;
    }

    public static bool TryReadPeerName(ref MessagePackReader reader, out PeerName name)
    {
        ulong value = reader.ReadUInt64();
        name = value >> 48 == 0 ? new PeerName(value) : default;
        return value >> 48 == 0;
    }
}

using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using MessagePack;

namespace Weave.Gossip.Topology;

/// <summary>
/// Wire encoding of topology messages: MessagePack arrays, written and read field by field with
/// <see cref="MessagePackWriter"/>/<see cref="MessagePackReader"/> (no reflection, no per-field
/// allocation beyond the strings themselves).
/// <code>
///   records    = [ record* ]                          at most MaxRecords
///   record     = [ name, nickName, uid, version, [ connection* ], cluster, clusterRange, future fields... ]
///                cluster, clusterRange: str or nil; both left out (5 fields) for a peer without a cluster
///   connection = [ remote, remoteAddress, flags, future fields... ]
///                flags: bit 0 = outbound, bit 1 = established; other bits reserved (ignored)
///   digest     = [ [ name, uid, version, future fields... ]* ]   strictly ascending by name
///   names      = [ name* ]                                       no duplicates
///   name: uint of at most 48 bits; uid, version: uint (smallest MessagePack form); strings: str
/// </code>
/// Fields are positional and never renumbered or reused. A newer peer may append fields at the end
/// of a record, connection or digest entry; older peers skip them (nesting bounded by
/// <see cref="MaxSkipDepth"/>).
/// <para>
/// Decoding is for untrusted peer input: it never throws, checks counts before allocating, checks
/// every record's invariants (see <see cref="TryValidate"/>) and rejects the whole message with a
/// reason naming the offending peer. Encoding our own data asserts the same invariants and throws
/// <see cref="ArgumentException"/> on a violation (a bug of ours).
/// </para>
/// </summary>
public static partial class TopologyCodec
{
    public const int MaxRecords = 100_000;
    public const int MaxConnectionsPerRecord = 10_000;
    public const int MaxNickNameLength = 255;
    public const int MaxRemoteAddressLength = 64;

    private const int RecordFields = 5;
    private const int ConnectionFields = 3;
    private const int DigestEntryFields = 3;
    private const uint OutboundFlag = 1;
    private const uint EstablishedFlag = 2;
    private const ulong MaxName = (1UL << 48) - 1;

    /// <summary>
    /// How deeply nested skipped future fields may be. Checked by hand rather than through
    /// MessagePackSecurity: its options pull MessagePack's reflection-based resolvers into the
    /// Native AOT router.
    /// </summary>
    private const int MaxSkipDepth = 32;

    // ---- records ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // big messages arrive before tiering has warmed up
    public static byte[] EncodeRecords(IReadOnlyCollection<PeerRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        CheckCount(records.Count, MaxRecords, nameof(records));
        int estimate = 8;
        foreach (PeerRecord record in records)
        {
            estimate += 48 + record.NickName.Length + (record.Connections.Count * 32) + (record.Cluster is null ? 0 : 64);
        }
        var buffer = new ArrayBufferWriter<byte>(estimate);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(records.Count);
        var scratch = new HashSet<PeerName>();
        foreach (PeerRecord record in records)
        {
            if (!TryValidate(record, scratch, out string error))
            {
                throw new ArgumentException(error, nameof(records));
            }
            writer.WriteArrayHeader(record.Cluster is null ? RecordFields : ClusterRecordFields);
            writer.Write(record.Name.Value);
            writer.Write(record.NickName);
            writer.Write(record.Uid);
            writer.Write(record.Version);
            writer.WriteArrayHeader(record.Connections.Count);
            foreach (ConnectionSummary connection in record.Connections)
            {
                writer.WriteArrayHeader(ConnectionFields);
                writer.Write(connection.Remote.Value);
                writer.Write(connection.RemoteAddress);
                writer.Write((connection.Outbound ? OutboundFlag : 0) | (connection.Established ? EstablishedFlag : 0));
            }
            if (record.Cluster is { } cluster)
            {
                WriteCluster(ref writer, cluster);
            }
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static bool TryDecodeRecords(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out IReadOnlyList<PeerRecord>? records, out string error)
    {
        records = null;
        int index = 0;
        try
        {
            var reader = new MessagePackReader(body);
            if (!TryReadCount(ref reader, MaxRecords, "records", out int count, out error))
            {
                return false;
            }
            var decoded = new PeerRecord[count];
            var scratch = new HashSet<PeerName>();
            ClusterIdentity? lastCluster = null;
            for (; index < count; index++)
            {
                if (!TryReadRecord(ref reader, index, scratch, ref lastCluster, out PeerRecord? record, out error))
                {
                    return false;
                }
                decoded[index] = record;
            }
            if (!TryReadEnd(ref reader, "records", out error))
            {
                return false;
            }
            records = decoded;
            return true;
        }
        catch (Exception e) when (IsMalformed(e))
        {
            error = $"records: malformed at record {index}: {e.Message}";
            return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // big messages arrive before tiering has warmed up
    private static bool TryReadRecord(ref MessagePackReader reader, int index, HashSet<PeerName> scratch, ref ClusterIdentity? lastCluster,
        [NotNullWhen(true)] out PeerRecord? record, out string error)
    {
        record = null;
        int fields = reader.ReadArrayHeader();
        if (fields < RecordFields)
        {
            error = $"record {index}: {fields} fields, expected at least {RecordFields}";
            return false;
        }
        if (!TryReadName(ref reader, out PeerName name))
        {
            error = $"record {index}: peer name does not fit in 48 bits";
            return false;
        }
        if (!TryReadString(ref reader, MaxNickNameLength, out string? nickName))
        {
            error = $"record of {name}: nickname missing or longer than {MaxNickNameLength} characters";
            return false;
        }
        ulong uid = reader.ReadUInt64();
        ulong version = reader.ReadUInt64();
        int count = reader.ReadArrayHeader();
        if (count > MaxConnectionsPerRecord)
        {
            error = $"record of {name}: {count} connections, more than {MaxConnectionsPerRecord}";
            return false;
        }
        var connections = new ConnectionSummary[count];
        for (int i = 0; i < count; i++)
        {
            int connectionFields = reader.ReadArrayHeader();
            if (connectionFields < ConnectionFields)
            {
                error = $"record of {name}: connection {i} has {connectionFields} fields, expected at least {ConnectionFields}";
                return false;
            }
            if (!TryReadName(ref reader, out PeerName remote))
            {
                error = $"record of {name}: connection {i} names a peer that does not fit in 48 bits";
                return false;
            }
            if (!TryReadString(ref reader, MaxRemoteAddressLength, out string? address))
            {
                error = $"record of {name}: address of connection to {remote} missing or longer than {MaxRemoteAddressLength} characters";
                return false;
            }
            ulong flags = reader.ReadUInt64();
            SkipFields(ref reader, connectionFields - ConnectionFields);
            connections[i] = new ConnectionSummary(remote, address, (flags & OutboundFlag) != 0, (flags & EstablishedFlag) != 0);
        }
        ClusterIdentity? cluster = null;
        if (fields > RecordFields && !TryReadCluster(ref reader, name, fields, ref lastCluster, out cluster, out error))
        {
            return false;
        }
        SkipFields(ref reader, fields - Math.Min(fields, ClusterRecordFields));
        record = new PeerRecord(name, nickName, uid, version, connections, cluster);
        if (!TryValidate(record, scratch, out error))
        {
            record = null;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Checks a record's invariants: version ≥ 1, UID ≠ 0, nickname and addresses within their
    /// lengths, at most <see cref="MaxConnectionsPerRecord"/> connections, none to itself, no remote twice.
    /// </summary>
    public static bool TryValidate(PeerRecord record, out string error) => TryValidate(record, [], out error);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // big messages arrive before tiering has warmed up
    private static bool TryValidate(PeerRecord record, HashSet<PeerName> scratch, out string error)
    {
        ArgumentNullException.ThrowIfNull(record);
        PeerName name = record.Name;
        if (record.Version == 0)
        {
            error = $"record of {name}: version 0";
            return false;
        }
        if (record.Uid == 0)
        {
            error = $"record of {name}: UID 0";
            return false;
        }
        if (record.NickName.Length > MaxNickNameLength)
        {
            error = $"record of {name}: nickname longer than {MaxNickNameLength} characters";
            return false;
        }
        IReadOnlyList<ConnectionSummary> connections = record.Connections;
        if (connections.Count > MaxConnectionsPerRecord)
        {
            error = $"record of {name}: {connections.Count} connections, more than {MaxConnectionsPerRecord}";
            return false;
        }
        scratch.Clear();
        foreach (ConnectionSummary connection in connections)
        {
            if (connection.Remote == name)
            {
                error = $"record of {name}: connection to itself";
                return false;
            }
            if (connection.RemoteAddress is null || connection.RemoteAddress.Length > MaxRemoteAddressLength)
            {
                error = $"record of {name}: address of connection to {connection.Remote} missing or longer than {MaxRemoteAddressLength} characters";
                return false;
            }
            if (!scratch.Add(connection.Remote))
            {
                error = $"record of {name}: two connections to {connection.Remote}";
                return false;
            }
        }
        error = "";
        return true;
    }

    // ---- digest ----

    public static byte[] EncodeDigest(IReadOnlyList<DigestEntry> digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        CheckCount(digest.Count, MaxRecords, nameof(digest));
        var buffer = new ArrayBufferWriter<byte>(8 + (digest.Count * 24));
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(digest.Count);
        for (int i = 0; i < digest.Count; i++)
        {
            DigestEntry entry = digest[i];
            if (!TryValidate(entry, i == 0 ? null : digest[i - 1], out string error))
            {
                throw new ArgumentException(error, nameof(digest));
            }
            writer.WriteArrayHeader(DigestEntryFields);
            writer.Write(entry.Name.Value);
            writer.Write(entry.Uid);
            writer.Write(entry.Version);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static bool TryDecodeDigest(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out IReadOnlyList<DigestEntry>? digest, out string error)
    {
        digest = null;
        int index = 0;
        try
        {
            var reader = new MessagePackReader(body);
            if (!TryReadCount(ref reader, MaxRecords, "digest", out int count, out error))
            {
                return false;
            }
            var decoded = new DigestEntry[count];
            for (; index < count; index++)
            {
                int fields = reader.ReadArrayHeader();
                if (fields < DigestEntryFields)
                {
                    error = $"digest entry {index}: {fields} fields, expected at least {DigestEntryFields}";
                    return false;
                }
                if (!TryReadName(ref reader, out PeerName name))
                {
                    error = $"digest entry {index}: peer name does not fit in 48 bits";
                    return false;
                }
                ulong uid = reader.ReadUInt64();
                ulong version = reader.ReadUInt64();
                SkipFields(ref reader, fields - DigestEntryFields);
                decoded[index] = new DigestEntry(name, uid, version);
                if (!TryValidate(decoded[index], index == 0 ? null : decoded[index - 1], out error))
                {
                    return false;
                }
            }
            if (!TryReadEnd(ref reader, "digest", out error))
            {
                return false;
            }
            digest = decoded;
            return true;
        }
        catch (Exception e) when (IsMalformed(e))
        {
            error = $"digest: malformed at entry {index}: {e.Message}";
            return false;
        }
    }

    private static bool TryValidate(DigestEntry entry, DigestEntry? previous, out string error)
    {
        if (entry.Version == 0 || entry.Uid == 0)
        {
            error = $"digest entry of {entry.Name}: version {entry.Version}, UID {entry.Uid} (both must be non-zero)";
            return false;
        }
        if (previous is { } before && before.Name >= entry.Name)
        {
            error = $"digest entry of {entry.Name}: not after {before.Name} (entries must be sorted by name, each once)";
            return false;
        }
        error = "";
        return true;
    }

    // ---- names ----

    public static byte[] EncodeNames(IReadOnlyList<PeerName> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        CheckCount(names.Count, MaxRecords, nameof(names));
        var buffer = new ArrayBufferWriter<byte>(8 + (names.Count * 9));
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(names.Count);
        var seen = new HashSet<PeerName>(names.Count);
        foreach (PeerName name in names)
        {
            if (!seen.Add(name))
            {
                throw new ArgumentException($"{name} appears twice", nameof(names));
            }
            writer.Write(name.Value);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static bool TryDecodeNames(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out IReadOnlyList<PeerName>? names, out string error)
    {
        names = null;
        int index = 0;
        try
        {
            var reader = new MessagePackReader(body);
            if (!TryReadCount(ref reader, MaxRecords, "names", out int count, out error))
            {
                return false;
            }
            var decoded = new PeerName[count];
            var seen = new HashSet<PeerName>(count);
            for (; index < count; index++)
            {
                if (!TryReadName(ref reader, out decoded[index]))
                {
                    error = $"names: entry {index} does not fit in 48 bits";
                    return false;
                }
                if (!seen.Add(decoded[index]))
                {
                    error = $"names: {decoded[index]} appears twice";
                    return false;
                }
            }
            if (!TryReadEnd(ref reader, "names", out error))
            {
                return false;
            }
            names = decoded;
            return true;
        }
        catch (Exception e) when (IsMalformed(e))
        {
            error = $"names: malformed at entry {index}: {e.Message}";
            return false;
        }
    }
}

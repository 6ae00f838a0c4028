using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Weave.Ipam.Store;

/// <summary>What a frame of the state file holds.</summary>
internal enum FrameKind : ushort
{
    /// <summary>The whole state (<see cref="IpamStateCodec.WriteState"/>): always the file's first frame.</summary>
    State = 1,

    /// <summary>What one write changed (<see cref="IpamStateCodec.WriteChanges"/>), appended after the state.</summary>
    Changes = 2,
}

/// <summary>
/// The state file: one frame holding the whole state, then the frames of the changes written
/// since, each appended and synced as one write (a journal). Every frame, all integers big-endian:
/// <code>
///  0      4  magic "WIPM"
///  4      2  format version (3)
///  6      2  kind: 1 the whole state, 2 changes
///  8      4  body length n
/// 12      4  CRC-32C of bytes 0 .. 12 (the header)
/// 16      n  body
/// 16 + n  4  CRC-32C of bytes 0 .. 16 + n
/// </code>
/// The checksums are there because a change that still decodes (an address 10.36.0.201 read as
/// 10.36.1.201) would otherwise be loaded as truth and the address handed out again. CRC-32C rather
/// than a cryptographic hash: the threat is a flipped bit or a torn or edited file, not an attacker
/// (whoever can write the file can write a matching digest), and a CRC-32 detects every error
/// confined to 32 consecutive bits, with certainty; it is computed by the CPU's crc32 instruction.
/// <para>
/// The header has a checksum of its own so that a change record cut short by a crash (its header
/// intact, its body incomplete: it was never acknowledged, so it is dropped) is told apart from a
/// damaged length, which is refused like any other damage. What may end the file besides whole
/// frames is only that: a record cut short, the first bytes of a header, or zeros (an append whose
/// size reached the disk before its data).
/// </para>
/// <para>
/// Format 2 (2026-12) was one frame of the whole state with a 12-byte header (no header checksum;
/// bytes 6–7 zero); format 1 (before it) the bare body with no frame, which starts with
/// MessagePack's 9-element array header as no framed file does. Both are still read, and the first
/// save writes the file again in format 3. Later formats keep the header (magic, version, kind,
/// length, header checksum) so that an older router can say which format it met.
/// </para>
/// </summary>
internal static class StateFile
{
    public const int CurrentVersion = 3;
    public const int ChecksummedVersion = 2;
    public const int LegacyVersion = 1;
    public const int HeaderBytes = 16;
    public const int TrailerBytes = 4;
    private const int Version2HeaderBytes = 12;

    private static ReadOnlySpan<byte> Magic => "WIPM"u8;

    /// <summary>MessagePack's fixarray of 9: the first byte of every format-1 file.</summary>
    private const byte LegacyFirstByte = 0x99;

    /// <summary>Writes a header; returns where it starts, for <see cref="EndWrite"/> once the body follows it.</summary>
    public static int BeginWrite(ArrayBufferWriter<byte> output, FrameKind kind)
    {
        ArgumentNullException.ThrowIfNull(output);
        int start = output.WrittenCount;
        Span<byte> header = output.GetSpan(HeaderBytes)[..HeaderBytes];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], CurrentVersion);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)kind);
        output.Advance(HeaderBytes);
        return start;
    }

    /// <summary>Fills in the body's length and the header's checksum, and appends the frame's checksum.</summary>
    public static void EndWrite(ArrayBufferWriter<byte> output, int start)
    {
        ArgumentNullException.ThrowIfNull(output);
        // The header's span may have moved while the body grew the buffer: patch it in the written bytes.
        Span<byte> written = MemoryMarshal.AsMemory(output.WrittenMemory).Span[start..];
        SealHeader(written, written.Length - HeaderBytes);
        uint crc = Crc32C.Compute(written);
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(TrailerBytes), crc);
        output.Advance(TrailerBytes);
    }

    /// <summary>The length of the whole-state frame that starts a format-3 file <see cref="TryRead"/> accepted.</summary>
    public static int StateFrameLength(ReadOnlySpan<byte> file) => HeaderBytes + BinaryPrimitives.ReadInt32BigEndian(file[8..]) + TrailerBytes;

    /// <summary>Writes the body length and the header checksum into a format-3 header.</summary>
    public static void SealHeader(Span<byte> frame, int bodyLength)
    {
        BinaryPrimitives.WriteInt32BigEndian(frame[8..], bodyLength);
        BinaryPrimitives.WriteUInt32BigEndian(frame[12..], Crc32C.Compute(frame[..12]));
    }

    /// <summary>
    /// Splits a file into the whole state's body, its format version and the bodies of the change
    /// records after it. <paramref name="validLength"/> is where the last whole frame ends: less
    /// than the file when a record was cut short (and is left out). False, with the reason, for
    /// anything else that is not whole frames with matching checksums.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> file, out ReadOnlyMemory<byte> state, out int version,
        out List<ReadOnlyMemory<byte>> changes, out int validLength, out string error)
    {
        state = default;
        changes = [];
        validLength = 0;
        ReadOnlySpan<byte> span = file.Span;
        if (span.Length > 0 && span[0] == LegacyFirstByte)
        {
            state = file;
            version = LegacyVersion;
            validLength = file.Length;
            error = "";
            return true;
        }
        if (span.Length < Version2HeaderBytes + TrailerBytes || !span[..4].SequenceEqual(Magic))
        {
            version = 0;
            error = span.Length < Version2HeaderBytes + TrailerBytes && Magic.StartsWith(span[..Math.Min(4, span.Length)])
                ? $"truncated: {span.Length} bytes"
                : "not an IPAM state file (no WIPM header)";
            return false;
        }
        version = BinaryPrimitives.ReadUInt16BigEndian(span[4..]);
        if (version == ChecksummedVersion)
        {
            validLength = file.Length;
            return TryReadVersion2(file, out state, out error);
        }
        if (!TryReadHeader(span, 0, out FrameKind kind, out int bodyLength, out error))
        {
            return false;
        }
        if (version != CurrentVersion)
        {
            error = version > CurrentVersion
                ? $"format {version} is newer than this router reads ({CurrentVersion}): run the newer router, or restore a backup"
                : $"unknown format {version}";
            return false;
        }
        if (kind != FrameKind.State || (long)HeaderBytes + bodyLength + TrailerBytes > span.Length)
        {
            error = kind != FrameKind.State
                ? $"the first record is of kind {(int)kind}, not the whole state"
                : $"truncated or extended: the header says {bodyLength} bytes of state, the file holds {span.Length - HeaderBytes - TrailerBytes}";
            return false;
        }
        if (!TryCheckFrame(span, 0, bodyLength, "", out error))
        {
            return false;
        }
        state = file.Slice(HeaderBytes, bodyLength);
        int offset = HeaderBytes + bodyLength + TrailerBytes;
        while (offset < span.Length)
        {
            ReadOnlySpan<byte> rest = span[offset..];
            if (IsTornTail(rest))
            {
                break;
            }
            if (!TryReadHeader(span, offset, out kind, out bodyLength, out error))
            {
                return false;
            }
            if (BinaryPrimitives.ReadUInt16BigEndian(rest[4..]) != CurrentVersion || kind != FrameKind.Changes)
            {
                error = $"the record at byte {offset} is not a change record of format {CurrentVersion}";
                return false;
            }
            if ((long)HeaderBytes + bodyLength + TrailerBytes > rest.Length)
            {
                // Its header is intact and its body incomplete: the write a crash interrupted.
                break;
            }
            if (!TryCheckFrame(span, offset, bodyLength, $" in the change record at byte {offset}", out error))
            {
                return false;
            }
            changes.Add(file.Slice(offset + HeaderBytes, bodyLength));
            offset += HeaderBytes + bodyLength + TrailerBytes;
        }
        validLength = offset;
        error = "";
        return true;
    }

    /// <summary>Bytes after the last whole frame that only an interrupted append leaves: zeros, or the start of a header.</summary>
    private static bool IsTornTail(ReadOnlySpan<byte> rest)
    {
        if (!rest.ContainsAnyExcept((byte)0))
        {
            return true;
        }
        if (rest.Length >= HeaderBytes)
        {
            return false;
        }
        Span<byte> expected = stackalloc byte[8];
        Magic.CopyTo(expected);
        BinaryPrimitives.WriteUInt16BigEndian(expected[4..], CurrentVersion);
        BinaryPrimitives.WriteUInt16BigEndian(expected[6..], (ushort)FrameKind.Changes);
        return expected.StartsWith(rest[..Math.Min(rest.Length, expected.Length)]);
    }

    private static bool TryReadHeader(ReadOnlySpan<byte> span, int offset, out FrameKind kind, out int bodyLength, out string error)
    {
        kind = default;
        bodyLength = 0;
        ReadOnlySpan<byte> header = span[offset..];
        string where = offset == 0 ? "" : $" of the record at byte {offset}";
        if (header.Length < HeaderBytes || !header[..4].SequenceEqual(Magic))
        {
            error = $"not a WIPM header{where}";
            return false;
        }
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
        uint computed = Crc32C.Compute(header[..12]);
        if (stored != computed)
        {
            error = $"header checksum mismatch{where} (stored CRC-32C {stored:x8}, computed {computed:x8})";
            return false;
        }
        kind = (FrameKind)BinaryPrimitives.ReadUInt16BigEndian(header[6..]);
        bodyLength = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        if (bodyLength < 0)
        {
            error = $"a negative length{where}";
            return false;
        }
        error = "";
        return true;
    }

    private static bool TryCheckFrame(ReadOnlySpan<byte> span, int offset, int bodyLength, string where, out string error)
    {
        ReadOnlySpan<byte> frame = span.Slice(offset, HeaderBytes + bodyLength + TrailerBytes);
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(frame[^TrailerBytes..]);
        uint computed = Crc32C.Compute(frame[..^TrailerBytes]);
        error = stored == computed ? "" : $"checksum mismatch{where} (stored CRC-32C {stored:x8}, computed {computed:x8})";
        return stored == computed;
    }

    /// <summary>A format-2 file: exactly one frame with a 12-byte header and no header checksum.</summary>
    private static bool TryReadVersion2(ReadOnlyMemory<byte> file, out ReadOnlyMemory<byte> body, out string error)
    {
        body = default;
        ReadOnlySpan<byte> span = file.Span;
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(span[^TrailerBytes..]);
        uint computed = Crc32C.Compute(span[..^TrailerBytes]);
        int declared = BinaryPrimitives.ReadInt32BigEndian(span[8..]);
        int actual = span.Length - Version2HeaderBytes - TrailerBytes;
        if (declared != actual)
        {
            error = $"truncated or extended: the header says {declared} bytes of state, the file holds {actual}";
            return false;
        }
        if (stored != computed)
        {
            error = $"checksum mismatch (stored CRC-32C {stored:x8}, computed {computed:x8})";
            return false;
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(span[6..]) != 0)
        {
            error = "reserved header bytes are not zero";
            return false;
        }
        body = file[Version2HeaderBytes..^TrailerBytes];
        error = "";
        return true;
    }
}

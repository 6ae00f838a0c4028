using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Weave.Ipam.Store;

/// <summary>
/// The frame around the state's MessagePack body (<see cref="IpamStateCodec"/>), all integers big-endian:
/// <code>
///  0      4  magic "WIPM"
///  4      2  format version (2)
///  6      2  reserved, zero
///  8      4  body length n (the file is exactly 16 + n bytes)
/// 12      n  body
/// 12 + n  4  CRC-32C of bytes 0 .. 12 + n
/// </code>
/// The checksum is there because a change that still decodes (an address 10.36.0.201 read as
/// 10.36.1.201) would otherwise be loaded as truth and the address handed out again. CRC-32C rather
/// than a cryptographic hash: the threat is a flipped bit or a torn or edited file, not an attacker
/// (whoever can write the file can write a matching digest), and a CRC-32 detects every error
/// confined to 32 consecutive bits, so any one changed byte, with certainty rather than with high
/// probability; it is computed by the CPU's crc32 instruction. The header is inside the checksum, so
/// the version and length cannot change unnoticed either. Later formats keep this frame (magic,
/// version, length, body, checksum) so that an older router can say which format it met.
/// <para>
/// Format 1 (up to 2026-12) was the bare body with no frame: it starts with MessagePack's 9-element
/// array header, which no framed file does, and is still read (see <see cref="TryUnwrap"/>).
/// </para>
/// </summary>
internal static class StateFile
{
    public const int CurrentVersion = 2;
    public const int LegacyVersion = 1;
    public const int HeaderBytes = 12;
    public const int TrailerBytes = 4;

    private static ReadOnlySpan<byte> Magic => "WIPM"u8;

    /// <summary>MessagePack's fixarray of 9: the first byte of every format-1 file.</summary>
    private const byte LegacyFirstByte = 0x99;

    /// <summary>Writes the header; returns where it starts, for <see cref="EndWrite"/> once the body follows it.</summary>
    public static int BeginWrite(ArrayBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int start = output.WrittenCount;
        Span<byte> header = output.GetSpan(HeaderBytes)[..HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], CurrentVersion);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], 0);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 0);
        output.Advance(HeaderBytes);
        return start;
    }

    /// <summary>Fills in the body's length and appends the checksum of everything from <paramref name="start"/>.</summary>
    public static void EndWrite(ArrayBufferWriter<byte> output, int start)
    {
        ArgumentNullException.ThrowIfNull(output);
        // The header's span may have moved while the body grew the buffer: patch it in the written bytes.
        Span<byte> written = MemoryMarshal.AsMemory(output.WrittenMemory).Span[start..];
        BinaryPrimitives.WriteInt32BigEndian(written[8..], written.Length - HeaderBytes);
        uint crc = Crc32C.Compute(written);
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(TrailerBytes), crc);
        output.Advance(TrailerBytes);
    }

    /// <summary>
    /// The body and its format version: framed files only when the length and checksum match; a
    /// format-1 file (no frame, no checksum) as it is. False, with the reason, for anything else.
    /// </summary>
    public static bool TryUnwrap(ReadOnlyMemory<byte> file, out ReadOnlyMemory<byte> body, out int version, out string error)
    {
        body = default;
        version = 0;
        ReadOnlySpan<byte> span = file.Span;
        if (span.Length > 0 && span[0] == LegacyFirstByte)
        {
            body = file;
            version = LegacyVersion;
            error = "";
            return true;
        }
        if (span.Length < HeaderBytes + TrailerBytes || !span[..4].SequenceEqual(Magic))
        {
            error = span.Length < HeaderBytes + TrailerBytes && Magic.StartsWith(span[..Math.Min(4, span.Length)])
                ? $"truncated: {span.Length} bytes"
                : "not an IPAM state file (no WIPM header)";
            return false;
        }
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(span[^TrailerBytes..]);
        uint computed = Crc32C.Compute(span[..^TrailerBytes]);
        int declared = BinaryPrimitives.ReadInt32BigEndian(span[8..]);
        int actual = span.Length - HeaderBytes - TrailerBytes;
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
        version = BinaryPrimitives.ReadUInt16BigEndian(span[4..]);
        if (version != CurrentVersion)
        {
            error = version > CurrentVersion
                ? $"format {version} is newer than this router reads ({CurrentVersion}): run the newer router, or restore a backup"
                : $"unknown format {version}";
            return false;
        }
        if (BinaryPrimitives.ReadUInt16BigEndian(span[6..]) != 0)
        {
            error = "reserved header bytes are not zero";
            return false;
        }
        body = file[HeaderBytes..^TrailerBytes];
        error = "";
        return true;
    }
}

using System.Buffers.Binary;
using System.Net;
using Weave.Ipam;
using Weave.Ipam.Store;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>The state file's frame: magic, format version, kind, length, header and frame CRC-32C; and reading formats 1 and 2.</summary>
public sealed class StateFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("weave-ipam-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A saved state holding 10.36.0.201 (issue 19's example), in the current format.</summary>
    internal static byte[] StateWith201()
    {
        var host = new IpamTestHost(new IpamOptions(Cidr.Parse("10.36.0.0/23"), IpamInit.Seed([IpamTestHost.Me])));
        Assert.True(host.Allocator.Claim("pod", IPAddress.Parse("10.36.0.201"), 23).Done().Succeeded);
        return host.Store.Load()!.Encode();
    }

    /// <summary>The same state as format 1 wrote it: the bare body, with 1 as its format.</summary>
    internal static byte[] AsFormat1(byte[] file)
    {
        byte[] body = file[StateFile.HeaderBytes..^StateFile.TrailerBytes];
        // [fixarray 9, fixstr 10 "weave-ipam", positive fixint format, ...]
        Assert.Equal(0x99, body[0]);
        Assert.Equal(0xAA, body[1]);
        Assert.Equal(StateFile.CurrentVersion, body[12]);
        return AsFormat1Body(body);
    }

    /// <summary>A body as format 1 stored it (no frame), its format field set to 1 when it is where a valid body has it.</summary>
    internal static byte[] AsFormat1Body(byte[] body)
    {
        byte[] copy = [.. body];
        if (copy.Length > 12 && copy[12] == StateFile.CurrentVersion)
        {
            copy[12] = StateFile.LegacyVersion;
        }
        return copy;
    }

    [Fact]
    public void Crc32C_GivesTheStandardCheckValues()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void Encode_FramesTheBody_WithMagicVersionLengthAndChecksum()
    {
        byte[] file = StateWith201();
        Assert.Equal("WIPM"u8.ToArray(), file[..4]);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(4)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(6)));
        Assert.Equal(file.Length - 20, BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(8)));
        Assert.Equal(Crc32C.Compute(file.AsSpan(0, 12)), BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(12)));
        Assert.Equal(Crc32C.Compute(file.AsSpan(0, file.Length - 4)), BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(file.Length - 4)));
        Assert.True(IpamState.TryDecode(file, out IpamState? state, out string error), error);
        Assert.Equal(3, state.FormatVersion);
        Assert.Equal("pod 10.36.0.201/23", Assert.Single(state.Allocations).ToString());
    }

    [Fact]
    public void TryDecode_AnAddressChangedToAnotherValidOne_IsRefusedByTheChecksum()
    {
        byte[] file = StateWith201();
        // 10.36.0.201 is the uint32 0x0A2400C9 in the body; 10.36.1.201 decodes just as well.
        int at = file.AsSpan().IndexOf(new byte[] { 0xCE, 0x0A, 0x24, 0x00, 0xC9 });
        Assert.True(at > 0);
        file[at + 3] = 0x01;
        Assert.False(IpamState.TryDecode(file, out _, out string error));
        Assert.StartsWith("checksum mismatch", error, StringComparison.Ordinal);

        // Without the checksum it would have been believed: the same change in a re-framed body decodes.
        byte[] reframed = Reframe(file.AsSpan(StateFile.HeaderBytes, file.Length - StateFile.HeaderBytes - StateFile.TrailerBytes));
        Assert.True(IpamState.TryDecode(reframed, out IpamState? wrong, out error), error);
        Assert.Equal("pod 10.36.1.201/23", Assert.Single(wrong.Allocations).ToString());
    }

    [Fact]
    public void FileStore_ChecksumMismatch_RefusesWithTheCorruptLineNamingTheFile()
    {
        string path = Path.Combine(_dir, "ipam.state");
        byte[] file = StateWith201();
        file[file.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => new FileIpamStore(path).Load());
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("is corrupt (checksum mismatch", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TryDecode_TruncatedOrExtendedOrForeign_SaysWhich()
    {
        byte[] file = StateWith201();
        Assert.False(IpamState.TryDecode(file.AsMemory(0, file.Length - 1), out _, out string error));
        Assert.StartsWith("truncated or extended", error, StringComparison.Ordinal);
        // After the state only change records may follow, or what an interrupted append leaves: zeros or a header's start.
        Assert.True(IpamState.TryDecode(file.Append((byte)0).ToArray(), out _, out int valid, out error), error);
        Assert.Equal(file.Length, valid);
        Assert.True(IpamState.TryDecode(file.Concat("WIPM"u8.ToArray()).ToArray(), out _, out valid, out error), error);
        Assert.Equal(file.Length, valid);
        Assert.False(IpamState.TryDecode(file.Append((byte)'x').ToArray(), out _, out error));
        Assert.Equal($"not a WIPM header of the record at byte {file.Length}", error);
        Assert.False(IpamState.TryDecode(file.AsMemory(0, 6), out _, out error));
        Assert.Equal("truncated: 6 bytes", error);
        Assert.False(IpamState.TryDecode("{\"owned\":[]}"u8.ToArray(), out _, out error));
        Assert.Equal("not an IPAM state file (no WIPM header)", error);
        Assert.False(IpamState.TryDecode(ReadOnlyMemory<byte>.Empty, out _, out error));
    }

    [Fact]
    public void TryDecode_ANewerFormat_NamesItsVersion()
    {
        byte[] body = StateWith201()[StateFile.HeaderBytes..^StateFile.TrailerBytes];
        byte[] file = Reframe(body, version: 4);
        Assert.False(IpamState.TryDecode(file, out _, out string error));
        Assert.Equal("format 4 is newer than this router reads (3): run the newer router, or restore a backup", error);
    }

    [Fact]
    public void Format1_IsReadOnce_AndSavedAgainWithAChecksum()
    {
        string path = Path.Combine(_dir, "ipam.state");
        File.WriteAllBytes(path, AsFormat1(StateWith201()));
        var store = new FileIpamStore(path);
        IpamState old = store.Load()!;
        Assert.Equal(1, old.FormatVersion);
        Assert.Equal("pod 10.36.0.201/23", Assert.Single(old.Allocations).ToString());

        var host = new IpamTestHost(new IpamOptions(Cidr.Parse("10.36.0.0/23"), IpamInit.Seed([IpamTestHost.Me])));
        var logs = new List<IpamLogEventArgs>();
        var allocator = new Allocator(IpamTestHost.Me, "me", 1, host.Options, store, host, host.Time, new Random(1));
        allocator.Log += (_, e) => logs.Add(e);
        allocator.Attach(host);

        Assert.Equal("pod 10.36.0.201/23", Assert.Single(allocator.List()).ToString());
        IpamLogEventArgs line = Assert.Single(logs, l => l.EventId == 3003);
        Assert.Equal(IpamLogLevel.Warning, line.Level);
        Assert.Contains("format 1", line.Message, StringComparison.Ordinal);
        byte[] now = File.ReadAllBytes(path);
        Assert.Equal("WIPM"u8.ToArray(), now[..4]);
        Assert.Equal(3, store.Load()!.FormatVersion);
        Assert.Equal("10.36.0.1/23", allocator.Allocate("next").Done().ToString());
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MaxValue - 19)]
    public void TryDecode_AHeaderThatChecksButClaimsGigabytes_IsRefusedOrLeftOut_NotThrown(int length)
    {
        byte[] state = StateWith201();
        byte[] header = new byte[StateFile.HeaderBytes];
        "WIPM"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), StateFile.CurrentVersion);

        // As the first frame: it cannot be the whole state.
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)FrameKind.State);
        StateFile.SealHeader(header, length);
        Assert.False(IpamState.TryDecode((byte[])[.. header, .. state], out _, out string error));
        Assert.StartsWith("truncated or extended", error, StringComparison.Ordinal);

        // After the state: a change record cut short, as a crash leaves one, so it is left out.
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)FrameKind.Changes);
        StateFile.SealHeader(header, length);
        Assert.True(IpamState.TryDecode((byte[])[.. state, .. header, 1, 2, 3], out _, out int valid, out error), error);
        Assert.Equal(state.Length, valid);
    }

    [Theory]
    [InlineData(0xDB)] // str32
    [InlineData(0xC6)] // bin32
    public void TryDecode_AStringLengthOf4GB_IsRefused_NotThrown(byte header)
    {
        // ["weave-ipam" replaced by a 4 GB string header]: the reader would slice with a negative length.
        byte[] body = [0x99, header, 0xFF, 0xFF, 0xFF, 0xF0, 0x01];
        foreach (byte[] file in new[] { Reframe(body), AsFormat1Body(body) })
        {
            Assert.False(IpamState.TryDecode(file, out _, out string error));
            Assert.StartsWith("malformed", error, StringComparison.Ordinal);
        }
    }

    /// <summary>A frame with a correct length and checksums around any body (as a buggy writer or a deliberate edit would make).</summary>
    internal static byte[] Reframe(ReadOnlySpan<byte> body, int version = StateFile.CurrentVersion, FrameKind kind = FrameKind.State)
    {
        byte[] file = new byte[StateFile.HeaderBytes + body.Length + StateFile.TrailerBytes];
        "WIPM"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(4), (ushort)version);
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(6), (ushort)kind);
        StateFile.SealHeader(file, body.Length);
        body.CopyTo(file.AsSpan(StateFile.HeaderBytes));
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(file.Length - 4), Crc32C.Compute(file.AsSpan(0, file.Length - 4)));
        return file;
    }
}

using Weave.Gossip;
using Weave.Router.Launch;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

public sealed class PeerNameSourceTests
{
    private const string MachineIdPath = "/etc/machine-id";
    private const string DataDir = "/var/lib/weave";
    private const string NameFile = "/var/lib/weave/peer-name";
    private const string MachineId = "4c4c4544004e3510804cb4c04f4e3732";

    private readonly MemoryIdentityFiles _files = new();

    private PeerNameSource Source(int seed = 1) => new(_files, MachineIdPath, new Random(seed));

    private static byte FirstByte(PeerName name)
    {
        Span<byte> bytes = stackalloc byte[PeerName.SizeBytes];
        name.WriteBytes(bytes);
        return bytes[0];
    }

    [Fact]
    public void Resolve_FlagGiven_WinsOverEverything_NothingWritten()
    {
        _files.Files[NameFile] = "aa:00:00:00:00:01\n";
        _files.Files[MachineIdPath] = MachineId;
        var given = new PeerName(0x5e1a00000001);

        Assert.Equal(new PeerNameChoice(given, PeerNameOrigin.Flag), Source().Resolve(given, DataDir));
        Assert.Empty(_files.Writes);
    }

    [Fact]
    public void Resolve_FlagGiven_CorruptFileIgnored()
    {
        _files.Files[NameFile] = "garbage";
        var given = new PeerName(0x5e1a00000001);
        Assert.Equal(given, Source().Resolve(given, DataDir).Name);
    }

    [Theory]
    [InlineData("aa:bb:cc:dd:ee:ff")]
    [InlineData("aa:bb:cc:dd:ee:ff\n")]
    [InlineData("  aa:bb:cc:dd:ee:ff  \r\n")]
    [InlineData("AA:BB:CC:DD:EE:FF\n")]
    public void Resolve_SavedFile_Read_BeforeMachineId(string content)
    {
        _files.Files[NameFile] = content;
        _files.Files[MachineIdPath] = MachineId;

        Assert.Equal(new PeerNameChoice(new PeerName(0xaabbccddeeff), PeerNameOrigin.File), Source().Resolve(null, DataDir));
        Assert.Empty(_files.Writes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("aa:bb:cc:dd:ee")]
    [InlineData("aa:bb:cc:dd:ee:ff:00")]
    [InlineData("zz:bb:cc:dd:ee:ff")]
    [InlineData("aa:bb:cc:dd:ee:ff\naa:bb:cc:dd:ee:ff")]
    public void Resolve_CorruptFile_LaunchExceptionNamingFile(string content)
    {
        _files.Files[NameFile] = content;
        _files.Files[MachineIdPath] = MachineId;

        var e = Assert.Throws<LaunchException>(() => Source().Resolve(null, DataDir));
        Assert.Contains(NameFile, e.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(_files.Writes);
    }

    [Theory]
    [InlineData("00:00:00:00:00:00\n", "zero name")]
    [InlineData("ff:ff:ff:ff:ff:ff\n", "broadcast")]
    [InlineData("03:00:00:00:00:01\n", "multicast")]
    public void Resolve_FileNameNoPeerMayHave_LaunchExceptionNamingFileAndWhy(string content, string expected)
    {
        _files.Files[NameFile] = content;
        _files.Files[MachineIdPath] = MachineId;

        var e = Assert.Throws<LaunchException>(() => Source().Resolve(null, DataDir));
        Assert.Contains(NameFile, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(_files.Writes);
    }

    [Fact]
    public void Resolve_CorruptFile_LongContentShortenedInMessage()
    {
        _files.Files[NameFile] = new string('x', 10_000);
        var e = Assert.Throws<LaunchException>(() => Source().Resolve(null, DataDir));
        Assert.True(e.Message.Length < 300, e.Message);
    }

    [Fact]
    public void Resolve_UnreadableFile_LaunchExceptionNamingFile()
    {
        _files.ReadFailures[NameFile] = new UnauthorizedAccessException("Access to the path is denied.");
        var e = Assert.Throws<LaunchException>(() => Source().Resolve(null, DataDir));
        Assert.Contains(NameFile, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_NoFile_DerivedFromMachineId_AndSaved()
    {
        _files.Files[MachineIdPath] = MachineId + "\n";

        PeerNameChoice choice = Source().Resolve(null, DataDir);

        Assert.Equal(new PeerNameChoice(PeerNameSource.FromMachineId(MachineId), PeerNameOrigin.MachineId), choice);
        Assert.Equal([NameFile], _files.Writes);
        Assert.Equal(choice.Name + "\n", _files.Files[NameFile]);
    }

    [Fact]
    public void Resolve_SameMachineId_SameName_IndependentOfRandomness()
    {
        _files.Files[MachineIdPath] = MachineId;
        PeerName first = Source(seed: 1).Resolve(null, "/a").Name;
        PeerName second = Source(seed: 2).Resolve(null, "/b").Name;
        Assert.Equal(first, second);
    }

    [Fact]
    public void Resolve_SecondStart_ReadsWhatFirstSaved()
    {
        PeerNameChoice first = Source(seed: 1).Resolve(null, DataDir);
        PeerNameChoice second = Source(seed: 2).Resolve(null, DataDir);

        Assert.Equal(PeerNameOrigin.Random, first.Origin);
        Assert.Equal(PeerNameOrigin.File, second.Origin);
        Assert.Equal(first.Name, second.Name);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("uninitialized\n")]
    [InlineData("0123456789abcdef")]
    [InlineData("not a machine id at all, but 32+")]
    public void Resolve_NoUsableMachineId_RandomUnicastLocal_AndSaved(string? machineId)
    {
        if (machineId is not null)
        {
            _files.Files[MachineIdPath] = machineId;
        }

        PeerNameChoice choice = Source().Resolve(null, DataDir);

        Assert.Equal(PeerNameOrigin.Random, choice.Origin);
        Assert.Equal(0x02, FirstByte(choice.Name) & 0x03);
        Assert.Equal(choice.Name + "\n", _files.Files[NameFile]);
    }

    [Fact]
    public void Resolve_UnreadableMachineId_FallsBackToRandom()
    {
        _files.ReadFailures[MachineIdPath] = new IOException("Input/output error");
        Assert.Equal(PeerNameOrigin.Random, Source().Resolve(null, DataDir).Origin);
    }

    [Fact]
    public void Resolve_CannotSave_LaunchExceptionNamingFile()
    {
        _files.Files[MachineIdPath] = MachineId;
        _files.WriteFailure = new IOException("Read-only file system");

        var e = Assert.Throws<LaunchException>(() => Source().Resolve(null, DataDir));

        Assert.Contains(NameFile, e.Message, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromMachineId_Golden()
    {
        // First 6 bytes of SHA-256("weave-net peer name v1\n" + machine-id), then bit 0 of the
        // first byte cleared (unicast) and bit 1 set (locally administered). A change of this value
        // renames every peer on upgrade: do not change it by accident.
        byte[] hash = System.Security.Cryptography.SHA256.HashData("weave-net peer name v1\n4c4c4544004e3510804cb4c04f4e3732"u8);
        hash[0] = (byte)((hash[0] & 0xFE) | 0x02);
        Assert.Equal(PeerName.FromBytes(hash.AsSpan(0, 6)), PeerNameSource.FromMachineId(MachineId));
        Assert.Equal("0e:f1:c6:82:91:b0", PeerNameSource.FromMachineId(MachineId).ToString());
    }

    [Fact]
    public void FromMachineId_CaseAndWhitespaceInsensitive()
    {
        Assert.Equal(PeerNameSource.FromMachineId(MachineId), PeerNameSource.FromMachineId(" " + MachineId.ToUpperInvariant() + "\n"));
    }

    [Fact]
    public void FromMachineId_UnicastLocallyAdministered_ForManyIds()
    {
        var random = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            byte[] id = new byte[16];
            random.NextBytes(id);
            Assert.Equal(0x02, FirstByte(PeerNameSource.FromMachineId(Convert.ToHexStringLower(id))) & 0x03);
        }
    }

    [Fact]
    public void IdentityFiles_RealDisk_CreatesDirectory0700_WritesAtomically_ReadsBack()
    {
        string root = Path.Combine(Path.GetTempPath(), "weave-peer-name-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string dataDir = Path.Combine(root, "nested", "weave");
            var source = new PeerNameSource(IdentityFiles.Instance, Path.Combine(root, "no-machine-id"), new Random(5));

            PeerNameChoice first = source.Resolve(null, dataDir);
            PeerNameChoice again = source.Resolve(null, dataDir);

            Assert.Equal(PeerNameOrigin.Random, first.Origin);
            Assert.Equal(new PeerNameChoice(first.Name, PeerNameOrigin.File), again);
            Assert.Equal(first.Name + "\n", File.ReadAllText(Path.Combine(dataDir, "peer-name")));
            if (OperatingSystem.IsLinux())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dataDir));
            }
            Assert.Equal(["peer-name"], Directory.GetFiles(dataDir).Select(Path.GetFileName));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public void IdentityFiles_RealDisk_ReplacesExistingFile_MissingFileReadsNull()
    {
        string root = Path.Combine(Path.GetTempPath(), "weave-peer-name-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string path = Path.Combine(root, "peer-name");
            Assert.Null(IdentityFiles.Instance.ReadText(path));
            IdentityFiles.Instance.WriteDurably(path, "old\n");
            IdentityFiles.Instance.WriteDurably(path, "new\n");
            Assert.Equal("new\n", IdentityFiles.Instance.ReadText(path));
            Assert.Single(Directory.GetFiles(root));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public void IdentityFiles_RealDisk_DataDirIsAFile_SaveFailsWithLaunchException()
    {
        string file = Path.GetTempFileName();
        try
        {
            var source = new PeerNameSource(IdentityFiles.Instance, "/nonexistent/machine-id", new Random(5));
            var e = Assert.Throws<LaunchException>(() => source.Resolve(null, file));
            Assert.Contains(Path.Combine(file, "peer-name"), e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

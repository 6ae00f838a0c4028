using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Store;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>
/// The state file as a journal, through the real file store: a save appends what changed (its size
/// does not grow with what is held), the file is written whole again once the appended changes
/// outgrow it, a record cut short by a crash is left out, and a failed append is undone.
/// </summary>
public sealed class StateJournalTests : IDisposable
{
    private static readonly PeerName s_me = IpamTestHost.Me;
    private readonly string _dir = Directory.CreateTempSubdirectory("weave-ipam-journal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string StatePath => Path.Combine(_dir, "ipam.state");

    private static Allocator NewAllocator(IIpamStore store)
    {
        var host = new IpamTestHost();
        var allocator = new Allocator(s_me, "me", 1, new IpamOptions(Cidr.Parse("10.32.0.0/16"), IpamInit.Seed([s_me])), store, host, host.Time, new Random(1));
        allocator.Attach(host);
        return allocator;
    }

    private static List<string> Listed(Allocator allocator) => [.. allocator.List().Select(a => a.ToString())];

    [Fact]
    public void ASave_AppendsWhatChanged_NotWhatIsHeld()
    {
        var store = new FileIpamStore(StatePath);
        Allocator allocator = NewAllocator(store);
        Assert.True(allocator.Allocate("pod-0000").Done().Succeeded);
        Assert.Equal(1, store.Rewrites);
        var growth = new List<long>();
        for (int i = 1; i <= 2000; i++)
        {
            long before = new FileInfo(StatePath).Length;
            Assert.True(allocator.Allocate($"pod-{i:D4}").Done().Succeeded);
            growth.Add(new FileInfo(StatePath).Length - before);
        }
        // One allocation's record is the same size with 2,000 held as with one (a frame, the ID and its
        // address); the file shrinks only where the appended records outgrew 64 KiB and it was written whole.
        List<long> appends = [.. growth.Where(g => g > 0)];
        Assert.InRange(appends.Min(), 20, 80);
        Assert.Equal(appends.Min(), appends.Max());
        Assert.Equal(growth.Count(g => g <= 0), store.Rewrites - 1);
        Assert.InRange(store.Rewrites, 2, 4);
        Assert.Equal(Listed(allocator), Listed(NewAllocator(new FileIpamStore(StatePath))));
    }

    [Fact]
    public void AppendedChanges_OutgrowingTheState_AreCompactedIntoAWholeWrite()
    {
        var store = new FileIpamStore(StatePath);
        Allocator allocator = NewAllocator(store);
        for (int i = 0; i < 100; i++)
        {
            Assert.True(allocator.Allocate($"held-{i}").Done().Succeeded);
        }
        long peak = 0;
        for (int i = 0; store.Rewrites < 2; i++)
        {
            Assert.True(i < 10_000, "never compacted");
            Assert.True(allocator.Allocate("churn").Done().Succeeded);
            Assert.True(allocator.Release("churn").Done().Succeeded);
            peak = Math.Max(peak, new FileInfo(StatePath).Length);
        }
        Assert.InRange(peak, 64 * 1024, 2 * 64 * 1024 + 8 * 1024);
        // Compacted: the state alone (100 IDs), far below what was appended.
        Assert.True(new FileInfo(StatePath).Length < 8 * 1024, $"{new FileInfo(StatePath).Length} bytes after compaction");
        Assert.False(File.Exists(StatePath + ".tmp"));
        Assert.Equal(Listed(allocator), Listed(NewAllocator(new FileIpamStore(StatePath))));
    }

    [Fact]
    public void ARecordCutShortByACrash_IsLeftOut_AndTheNextSaveWritesTheFileWhole()
    {
        Allocator allocator = NewAllocator(new FileIpamStore(StatePath));
        Assert.True(allocator.Allocate("a").Done().Succeeded);
        Assert.True(allocator.Allocate("b").Done().Succeeded);
        long beforeC = new FileInfo(StatePath).Length;
        Assert.True(allocator.Allocate("c").Done().Succeeded);
        byte[] file = File.ReadAllBytes(StatePath);
        for (long cut = beforeC + 1; cut < file.Length; cut++)
        {
            File.WriteAllBytes(StatePath, file[..(int)cut]);
            var store = new FileIpamStore(StatePath);
            Allocator restarted = NewAllocator(store);
            Assert.Equal(["a 10.32.0.1/16", "b 10.32.0.2/16"], Listed(restarted));
            Assert.True(restarted.Allocate("d").Done().Succeeded);
            Assert.Equal(1, store.Rewrites);
            byte[] rewritten = File.ReadAllBytes(StatePath);
            Assert.True(IpamState.TryDecode(rewritten, out _, out int valid, out string error), error);
            Assert.Equal(rewritten.Length, valid);
        }
    }

    [Fact]
    public void AFailedAppend_IsUndone_AndTheNextSaveWritesTheFileWhole()
    {
        var store = new FileIpamStore(StatePath);
        Allocator allocator = NewAllocator(store);
        Assert.True(allocator.Allocate("a").Done().Succeeded);
        Assert.True(allocator.Allocate("b").Done().Succeeded);
        Assert.True(allocator.Release("a").Done().Succeeded);

        // Where the file was, a directory: the append cannot open it.
        File.Move(StatePath, StatePath + ".kept");
        Directory.CreateDirectory(StatePath);
        AllocationResult failed = allocator.Allocate("c").Done();
        Assert.False(failed.Succeeded);
        Assert.Equal(IpamErrorKind.StoreFailed, failed.Error);
        Assert.Equal(["b 10.32.0.2/16"], Listed(allocator));

        Directory.Delete(StatePath);
        Assert.Equal("10.32.0.1/16", allocator.Allocate("c").Done().ToString());
        Assert.Equal(2, store.Rewrites);
        Assert.Equal(["c 10.32.0.1/16", "b 10.32.0.2/16"], Listed(NewAllocator(new FileIpamStore(StatePath))));
    }

    [Fact]
    public void AFormat2File_IsRead_AndTheFirstSaveWritesItAgainInFormat3()
    {
        byte[] format3 = StateFileTests.StateWith201();
        byte[] body = format3[StateFile.HeaderBytes..^StateFile.TrailerBytes];
        body[12] = StateFile.ChecksummedVersion;
        File.WriteAllBytes(StatePath, Format2(body));
        var store = new FileIpamStore(StatePath);
        Assert.Equal(2, store.Load()!.FormatVersion);

        var host = new IpamTestHost(new IpamOptions(Cidr.Parse("10.36.0.0/23"), IpamInit.Seed([s_me])));
        var allocator = new Allocator(s_me, "me", 1, host.Options, store, host, host.Time, new Random(1));
        allocator.Attach(host);
        Assert.Equal("10.36.0.1/23", allocator.Allocate("next").Done().ToString());
        Assert.Equal(1, store.Rewrites);
        IpamState again = new FileIpamStore(StatePath).Load()!;
        Assert.Equal(3, again.FormatVersion);
        Assert.Equal(["next 10.36.0.1/23", "pod 10.36.0.201/23"], again.Allocations.Select(a => a.ToString()).Order());
    }

    /// <summary>A file as format 2 wrote it: a 12-byte header (no kind, no header checksum), the body, the CRC-32C of all.</summary>
    private static byte[] Format2(byte[] body)
    {
        byte[] file = new byte[12 + body.Length + 4];
        "WIPM"u8.CopyTo(file);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(4), 2);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(8), body.Length);
        body.CopyTo(file.AsSpan(12));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(file.Length - 4), Crc32C.Compute(file.AsSpan(0, file.Length - 4)));
        return file;
    }
}

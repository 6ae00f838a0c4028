using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Store;
using Xunit;

namespace Weave.Tests.Ipam;

public sealed class IpamStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("weave-ipam-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Allocator NewAllocator(IIpamStore store, PeerName self, IpamOptions options, List<IpamLogEventArgs>? logs = null)
    {
        var host = new IpamTestHost();
        var allocator = new Allocator(self, "me", 1, options, store, host, host.Time, new Random(1));
        if (logs is not null)
        {
            allocator.Log += (_, e) => logs.Add(e);
        }
        allocator.Attach(host);
        return allocator;
    }

    private static IpamOptions Options(PeerName self, string range = "10.32.0.0/24") => new(Cidr.Parse(range), IpamInit.Seed([self]));

    [Fact]
    public void FileStore_RoundTripsTheState()
    {
        string path = Path.Combine(_dir, "sub", "weave-ipam.db");
        var synced = new List<string>();
        var store = new FileIpamStore(path, synced.Add);
        Assert.Null(store.Load());
        PeerName me = IpamTestHost.Me;
        Allocator a = NewAllocator(store, me, Options(me));
        Assert.True(a.Allocate("pod1", null, new Dictionary<string, string> { ["name"] = "web" }).Done().Succeeded);
        Assert.True(a.Claim("pod2", System.Net.IPAddress.Parse("10.32.0.200"), 24).Done().Succeeded);
        Assert.NotEmpty(synced);
        Assert.False(File.Exists(path + ".tmp"));

        Allocator b = NewAllocator(new FileIpamStore(path), me, Options(me));
        Assert.Equal(a.List().Select(x => x.ToString()), b.List().Select(x => x.ToString()));
        Assert.Equal("web", b.Lookup("pod1")[0].Metadata["name"]);
        Assert.Equal(a.Ring, b.Ring);
    }

    [Fact]
    public void FileStore_CorruptFile_FailsWithAClearError()
    {
        string path = Path.Combine(_dir, "weave-ipam.db");
        PeerName me = IpamTestHost.Me;
        NewAllocator(new FileIpamStore(path), me, Options(me)).Allocate("pod").Done();
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => new FileIpamStore(path).Load());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("corrupt", error.Message, StringComparison.Ordinal);
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => NewAllocator(new FileIpamStore(path), me, Options(me)));
    }

    [Fact]
    public void FileStore_StateOfAnotherPeerOrRange_IsSetAsideWithAWarning()
    {
        string path = Path.Combine(_dir, "weave-ipam.db");
        PeerName me = IpamTestHost.Me, other = new(0x0200_0000_0099);
        NewAllocator(new FileIpamStore(path), other, Options(other)).Allocate("pod").Done();
        var logs = new List<IpamLogEventArgs>();
        Allocator mine = NewAllocator(new FileIpamStore(path), me, Options(me), logs);
        Assert.Empty(mine.List());
        Assert.Single(Directory.GetFiles(_dir, "weave-ipam.db.discarded-*"));
        Assert.Contains(logs, l => l.Level == IpamLogLevel.Warning && l.Message.Contains("set aside", StringComparison.Ordinal));

        mine.Allocate("pod").Done();
        Allocator otherRange = NewAllocator(new FileIpamStore(path), me, Options(me, "10.40.0.0/24"));
        Assert.Empty(otherRange.List());
    }

    [Fact]
    public void State_TryDecode_RefusesGarbageAndEveryTruncation()
    {
        var store = new InMemoryIpamStore();
        PeerName me = IpamTestHost.Me;
        Allocator a = NewAllocator(store, me, Options(me));
        a.Allocate("pod").Done();
        byte[] bytes = store.Load()!.Encode();
        Assert.True(IpamState.TryDecode(bytes, out IpamState? state, out string error), error);
        Assert.Equal(me, state.Self);
        Assert.Equal(IpamState.CurrentFormatVersion, state.FormatVersion);
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.False(IpamState.TryDecode(bytes.AsMemory(0, length), out _, out _));
        }
    }
}

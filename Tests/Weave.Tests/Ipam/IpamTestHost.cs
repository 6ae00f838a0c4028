using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Gossip.Channels;
using Weave.Ipam;
using Weave.Ipam.Store;

namespace Weave.Tests.Ipam;

/// <summary>A lone allocator with an in-memory store, a fixed peer view and a channel that records what it sends.</summary>
internal sealed class IpamTestHost : IPeerView, IGossipChannel
{
    public static readonly PeerName Me = new(0x0200_0000_0001);

    public IpamTestHost(IpamOptions? options = null, IInMemoryStoreFactory? factory = null)
    {
        Options = options ?? new IpamOptions(Cidr.Parse("10.32.0.0/26"), IpamInit.Seed([Me]));
        Store = factory?.Create() ?? new InMemoryIpamStore();
        Restart();
    }

    public IpamOptions Options { get; }
    public InMemoryIpamStore Store { get; }
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    public Allocator Allocator { get; private set; } = null!;
    public List<IpamPeer> PeerList { get; } = [];
    public List<(PeerName? To, byte[] Bytes)> Sent { get; } = [];
    public List<IpamLogEventArgs> Logs { get; } = [];

    public IReadOnlyCollection<IpamPeer> Peers => PeerList;

    public string Name => "ipam";

    public void Restart()
    {
        Allocator = new Allocator(Me, "me", 1, Options, Store, this, Time, new Random(1));
        Allocator.Log += (_, e) => Logs.Add(e);
        Allocator.Attach(this);
    }

    public void Unicast(PeerName destination, byte[] message) => Sent.Add((destination, message));

    public void Broadcast(byte[] update) => Sent.Add((null, update));

    public void GossipToNeighbours(byte[] state) => Sent.Add((null, state));

    public void Advance(TimeSpan by)
    {
        Time.Advance(by);
        Allocator.Tick();
    }
}

internal interface IInMemoryStoreFactory
{
    InMemoryIpamStore Create();
}

internal static class TaskResults
{
    /// <summary>The result of a request that must already be answered (sans-IO: answers come on the loop, not later).</summary>
    public static AllocationResult Done(this Task<AllocationResult> task)
    {
        if (!task.IsCompleted)
        {
            throw new Xunit.Sdk.XunitException("the request is still waiting");
        }
        return task.GetAwaiter().GetResult();
    }

    /// <summary>The result of an rmpeer or hand-off that must already be answered.</summary>
    public static RemovePeerResult Done(this Task<RemovePeerResult> task)
    {
        if (!task.IsCompleted)
        {
            throw new Xunit.Sdk.XunitException("the request is still waiting");
        }
        return task.GetAwaiter().GetResult();
    }
}

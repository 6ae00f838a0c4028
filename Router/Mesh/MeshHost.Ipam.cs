using System.Net;
using Microsoft.Extensions.Logging;
using Weave.Gossip;
using Weave.Gossip.Topology;
using Weave.Ipam;
using Weave.Router.Api;
using Weave.Router.Ipam;

namespace Weave.Router.Mesh;

/// <summary>
/// The allocator lives on the mesh loop like the node: it gossips on our cluster's channel
/// (<see cref="IpamChannel"/>), ticks with it, hears of peer changes, and every API call is
/// posted to the loop.
/// </summary>
public sealed partial class MeshHost : IIpamControl
{
    /// <summary>The channel of a router that names no cluster, as before clusters.</summary>
    public const string UnclusteredIpamChannel = "ipam";

    private Allocator? _allocator;

    /// <summary>The gossip channel our IP allocation runs on: our cluster's.</summary>
    public string IpamChannelName => _node.Self.Cluster is { } cluster ? IpamChannel.For(cluster) : UnclusteredIpamChannel;

    private Allocator Allocator => _allocator ?? throw new InvalidOperationException("IP address management is not running");

    /// <summary>Creates the allocator over this mesh (before <see cref="Start"/>): it loads its persisted state now.</summary>
    public void AttachAllocator(Func<IPeerView, Allocator> create)
    {
        ArgumentNullException.ThrowIfNull(create);
        if (_allocator is not null)
        {
            throw new InvalidOperationException("an allocator is already attached");
        }
        Allocator allocator = create(new MeshPeerView(_node));
        allocator.Log += (_, e) =>
        {
            LogLevel level = LevelOf(e.Level);
            if (_log.IsEnabled(level))
            {
                // Allocator messages quote peer nicknames, which come from the network.
                string message = LogText.Escape(e.Message);
                RouterLog.Ipam(_log, level, e.EventId, message);
            }
        };
        allocator.GroupCommit = true;
        allocator.Attach(_node.RegisterChannel(IpamChannelName, allocator));
        _node.PeersRemoved += _ => allocator.OnPeersChanged();
        _node.DataRoutesChanged += _ => allocator.OnPeersChanged();
        _allocator = allocator;
    }

    private static LogLevel LevelOf(IpamLogLevel level) => level switch
    {
        IpamLogLevel.Debug => LogLevel.Debug,
        IpamLogLevel.Warning => LogLevel.Warning,
        IpamLogLevel.Error => LogLevel.Error,
        _ => LogLevel.Information,
    };

    public async Task<AllocationResult> AllocateAsync(string id, Cidr? subnet, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        Task<AllocationResult> pending = await Ask(() => Allocator.Allocate(id, subnet, metadata), ct).ConfigureAwait(false);
        return await pending.WaitAsync(ct).ConfigureAwait(false);
    }

    public async Task<AllocationResult> ClaimAsync(string id, IPAddress address, int prefixLength, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct)
    {
        Task<AllocationResult> pending = await Ask(() => Allocator.Claim(id, address, prefixLength, metadata), ct).ConfigureAwait(false);
        return await pending.WaitAsync(ct).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<IpamAllocation>> LookupAsync(string id, CancellationToken ct) => Ask(() => Allocator.Lookup(id), ct);

    public async Task<AllocationResult> ReleaseAsync(string id, IPAddress? address, CancellationToken ct)
    {
        Task<AllocationResult> pending = await Ask(() => address is null ? Allocator.Release(id) : Allocator.Release(id, address), ct).ConfigureAwait(false);
        return await pending.WaitAsync(ct).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<IpamAllocation>> ListAsync(CancellationToken ct) => Ask(() => Allocator.List(), ct);

    public async Task<RemovePeerResult> RemovePeerAsync(string nameOrNickname, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(nameOrNickname);
        Task<RemovePeerResult> pending = await Ask(() => OtherClusterOf(nameOrNickname.Trim()) is { } refusal
            ? Task.FromResult(refusal)
            : Allocator.RemovePeer(nameOrNickname), ct).ConfigureAwait(false);
        return await pending.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// On the mesh loop: a refusal when <paramref name="text"/> names (or nicknames) only peers of
    /// other clusters. Their space is in their cluster's ring, which ours never holds, so the
    /// allocator would find nothing of theirs and report 0 addresses as if that were an answer.
    /// </summary>
    private RemovePeerResult? OtherClusterOf(string text)
    {
        ClusterIdentity? ours = _node.Self.Cluster;
        bool byName = PeerName.TryParse(text, out PeerName name);
        PeerRecord[] named = [.. _node.Topology.Records.Where(r => r.Name != _node.Self.Name && (byName ? r.Name == name : r.NickName == text))];
        if (named.Length == 0 || named.Any(r => MeshPeerView.IsOurs(ours, r.Cluster)))
        {
            return null;
        }
        string clusters = string.Join(", ", named.Select(r => r.Cluster!.Name).Distinct().Order(StringComparer.Ordinal));
        string who = named.Length == 1 ? named[0].Display : $"'{text}'";
        return RemovePeerResult.Failure(IpamErrorKind.Invalid,
            $"refused: {who} is in cluster {clusters}, not ours ({ours!.Name}): its addresses are its cluster's to reclaim, with rmpeer on one of its routers");
    }

    public async Task<RemovePeerResult> HandOffAsync(CancellationToken ct)
    {
        Task<RemovePeerResult> pending = await Ask(() => Allocator.HandOff(), ct).ConfigureAwait(false);
        return await pending.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// At the end of a loop turn: the allocator's changes of the turn (and of turns while the last
    /// write was in flight) go to disk in one write, encoded and synced on the thread pool so that
    /// gossip goes on meanwhile; the answers and messages they hold are let out when it is durable.
    /// </summary>
    private void StartIpamWrite()
    {
        if (_allocator is not { } allocator || allocator.NextWrite() is not { } write)
        {
            return;
        }
        _ = Task.Run(() => allocator.Save(write))
            .ContinueWith(t => Post(() => allocator.Written(write, t.Result)),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    Task<IpamStatus> IIpamControl.StatusAsync(CancellationToken ct) => Ask(() => Allocator.Status(), ct);
}

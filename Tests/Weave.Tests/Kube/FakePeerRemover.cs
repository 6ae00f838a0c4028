using System.Collections.Concurrent;
using Weave.Kube.Peers;

namespace Weave.Tests.Kube;

/// <summary>The router's rmpeer as the reclaimer sees it; counts calls per peer across every router sharing it.</summary>
internal sealed class FakePeerRemover : IPeerRemover
{
    public ConcurrentDictionary<string, int> Calls { get; } = new(StringComparer.Ordinal);

    /// <summary>What rmpeer answers; by default it takes the peer's space.</summary>
    public Func<string, PeerRemoval> Answer { get; set; } = peer => new PeerRemoval(PeerRemovalOutcome.Removed, $"1024 IPs taken over from {peer}");

    public Task<PeerRemoval> RemovePeerAsync(string peerName, CancellationToken ct)
    {
        Calls.AddOrUpdate(peerName, 1, (_, n) => n + 1);
        return Task.FromResult(Answer(peerName));
    }
}

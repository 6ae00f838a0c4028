namespace Weave.Kube.Peers;

/// <summary>The router's <c>rmpeer</c>, as the reclaimer calls it.</summary>
public interface IPeerRemover
{
    Task<PeerRemoval> RemovePeerAsync(string peerName, CancellationToken ct);
}

/// <summary>How an <c>rmpeer</c> ended.</summary>
public enum PeerRemovalOutcome
{
    /// <summary>Its space is ours (or it had none): it may leave the peer list.</summary>
    Removed,

    /// <summary>The mesh still reaches it: it is not gone, and taking its space could hand addresses out twice.</summary>
    StillReachable,

    /// <summary>Something failed (state not saved, router not running): try again later.</summary>
    Failed,
}

public sealed record PeerRemoval(PeerRemovalOutcome Outcome, string Message);

using Microsoft.Extensions.Logging;

namespace Weave.Kube;

/// <summary>The Kubernetes add-on's log messages (event IDs 5000–5999).</summary>
internal static partial class KubeLog
{
    [LoggerMessage(5000, LogLevel.Information, "Kubernetes API {Version} at {Server}: node {Node}, {Nodes} node(s) in the cluster")]
    public static partial void Connected(ILogger log, string version, string server, string node, int nodes);

    [LoggerMessage(5001, LogLevel.Warning, "Kubernetes API: {Error}; retrying in {Seconds} s")]
    public static partial void Retrying(ILogger log, string error, int seconds);

    [LoggerMessage(5002, LogLevel.Error, "Kubernetes RBAC refused to {What}: {Error}. The add-on's service account needs this verb: grant it in its ClusterRole or Role (deploy/weave-daemonset.yaml)")]
    public static partial void Forbidden(ILogger log, string what, string error);

    [LoggerMessage(5003, LogLevel.Warning, "This peer {Peer} was reclaimed by another router while it was down (it is not in the peer list of ConfigMap {Where}): starting with fresh IP allocation state")]
    public static partial void ReclaimedWhileDown(ILogger log, string peer, string where);

    [LoggerMessage(5004, LogLevel.Information, "Router {Holder} is reclaiming this peer's address space (lock in ConfigMap {Where}): waiting for it to finish before starting")]
    public static partial void WaitingForReclaim(ILogger log, string holder, string where);

    [LoggerMessage(5005, LogLevel.Information, "Peers from the Kubernetes API: {Added} added, {Removed} removed ({Targets})")]
    public static partial void TargetsChanged(ILogger log, int added, int removed, string targets);

    [LoggerMessage(5006, LogLevel.Information, "Node {Node} deleted")]
    public static partial void NodeDeleted(ILogger log, string node);

    [LoggerMessage(5007, LogLevel.Information, "Reclaiming the address space of peer {Peer} (node {Node} no longer exists)")]
    public static partial void Reclaiming(ILogger log, string peer, string node);

    [LoggerMessage(5008, LogLevel.Warning, "Reclaimed peer {Peer} of deleted node {Node}: {Result}")]
    public static partial void Reclaimed(ILogger log, string peer, string node, string result);

    [LoggerMessage(5009, LogLevel.Warning, "Not reclaiming peer {Peer} of deleted node {Node} now: {Reason}; will try again")]
    public static partial void ReclaimPostponed(ILogger log, string peer, string node, string reason);

    [LoggerMessage(5010, LogLevel.Warning, "The reclaim lock on peer {Peer} is held by {Holder}, which is no longer a peer: taking it over")]
    public static partial void StaleLock(ILogger log, string peer, string holder);

    [LoggerMessage(5011, LogLevel.Information, "Node {Node}: condition NetworkUnavailable=False (WeaveIsUp)")]
    public static partial void NodeMarkedUp(ILogger log, string node);

    [LoggerMessage(5012, LogLevel.Error, "Reclaiming deleted nodes' address space failed: {Error}")]
    public static partial void ReclaimFailed(ILogger log, string error);

    [LoggerMessage(5013, LogLevel.Error, "This peer {Peer} is no longer in the peer list of ConfigMap {Where}: another router reclaimed its address space while it was running (a network partition?). Restart this router to rejoin with fresh IP allocation state")]
    public static partial void ReclaimedWhileRunning(ILogger log, string peer, string where);

    [LoggerMessage(5014, LogLevel.Information, "This peer {Peer} is in the peer list of ConfigMap {Where} as node {Node}")]
    public static partial void Listed(ILogger log, string peer, string where, string node);

    [LoggerMessage(5015, LogLevel.Warning, "Kubernetes API still failing: {Error}")]
    public static partial void StillFailing(ILogger log, string error);
}

using Microsoft.Extensions.Logging;

namespace Weave.Router.Policy;

/// <summary>The policy controller's log messages (event IDs 6000–6999).</summary>
internal static partial class NpcLog
{
    [LoggerMessage(6000, LogLevel.Information, "weave npc {Version} on node {Node}: following pods, namespaces and NetworkPolicies at {Server}; enforcing in nft table {Table} once all three are listed")]
    public static partial void Starting(ILogger log, string version, string node, string server, string table);

    [LoggerMessage(6001, LogLevel.Warning, "Skipped {Resource} {Key}: {Reason}")]
    public static partial void Refused(ILogger log, string resource, string key, string reason);

    [LoggerMessage(6002, LogLevel.Information, "Enforcing: {Namespaces} namespaces, {Pods} pods, {Policies} policies; on this node {Ingress} pod(s) isolated for ingress, {Egress} for egress ({Bytes} bytes of nft applied in {Milliseconds} ms)")]
    public static partial void Enforcing(ILogger log, int namespaces, int pods, int policies, int ingress, int egress, int bytes, long milliseconds);

    [LoggerMessage(6003, LogLevel.Error, "Could not apply the policy table (the rules in place stay as they were; retrying): {Error}")]
    public static partial void ApplyFailed(ILogger log, string error);

    [LoggerMessage(6004, LogLevel.Warning, "Table {Table} was removed from the kernel: writing it again")]
    public static partial void TableRestored(ILogger log, string table);

    [LoggerMessage(6005, LogLevel.Warning, "{Setting} was 0: set it to 1, so that traffic bridged between pods passes the policy table")]
    public static partial void BridgeNetfilterEnabled(ILogger log, string setting);

    [LoggerMessage(6006, LogLevel.Error, "{Setting} cannot be set ({Error}): traffic bridged between pods of this node bypasses NetworkPolicy")]
    public static partial void BridgeNetfilterMissing(ILogger log, string setting, string error);

    [LoggerMessage(6007, LogLevel.Debug, "Policy table changed: {Bytes} bytes of nft in {Milliseconds} ms (compile {CompileMilliseconds} ms)")]
    public static partial void Applied(ILogger log, int bytes, long milliseconds, long compileMilliseconds);

    [LoggerMessage(6008, LogLevel.Information, "Shutting down: the policy table stays in place (the next start takes over without a gap; weave reset removes it)")]
    public static partial void Stopping(ILogger log);

    [LoggerMessage(6009, LogLevel.Warning, "Could not read the drop counters: {Error}")]
    public static partial void CountersFailed(ILogger log, string error);

    [LoggerMessage(6010, LogLevel.Warning, "Denied: {Flow}")]
    public static partial void Denied(ILogger log, string flow);

    [LoggerMessage(6011, LogLevel.Warning, "Cannot read dropped packets from NFLOG group {Group} ({Error}): drops are still counted, but not logged; retrying every 10 s")]
    public static partial void DropLogUnavailable(ILogger log, ushort group, string error);
}

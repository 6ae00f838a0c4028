using System.Net;
using Microsoft.Extensions.Logging;

namespace Weave.Router;

/// <summary>The router's log messages (event IDs 2000–2999), source-generated so a disabled level costs nothing.</summary>
internal static partial class RouterLog
{
    [LoggerMessage(2000, LogLevel.Information, "Router {Name}({NickName}) ready: mesh on TCP {MeshEndPoint}, VXLAN on UDP {DataEndPoint} (VNI {Vni}), bridge {Bridge} via {Tap}, MTU {Mtu}, API on http://{HttpEndPoint}")]
    public static partial void Ready(ILogger log, string name, string nickName, IPEndPoint meshEndPoint, IPEndPoint dataEndPoint, int vni, string bridge, string tap, int mtu, IPEndPoint httpEndPoint);

    [LoggerMessage(2001, LogLevel.Information, "Created bridge {Bridge} (MTU {Mtu})")]
    public static partial void BridgeCreated(ILogger log, string bridge, int mtu);

    [LoggerMessage(2002, LogLevel.Information, "Shutting down ({Reason})")]
    public static partial void ShuttingDown(ILogger log, string reason);

    [LoggerMessage(2003, LogLevel.Information, "Stopped; TAP {Tap} removed")]
    public static partial void Stopped(ILogger log, string tap);

    [LoggerMessage(2004, LogLevel.Information, "Overlay MTU {Mtu}: {Origin}")]
    public static partial void OverlayMtuChosen(ILogger log, int mtu, string origin);

    [LoggerMessage(2005, LogLevel.Warning, "Overlay MTU {Mtu}: {Origin}")]
    public static partial void OverlayMtuAssumed(ILogger log, int mtu, string origin);

    [LoggerMessage(2006, LogLevel.Information, "Encryption enabled: password hardened with Argon2id ({MemoryMiB} MiB, {Passes} passes) in {Milliseconds} ms; control connections are sealed, and so is the data plane (sleeve on UDP, no VXLAN) except between peers that trust each other by --trusted-subnets ({Ciphers} offered)")]
    public static partial void EncryptionEnabled(ILogger log, int memoryMiB, int passes, long milliseconds, string ciphers);

    [LoggerMessage(2007, LogLevel.Information, "Trusted subnets {Subnets}: data to a peer there that trusts our address too goes unencrypted (control stays sealed)")]
    public static partial void TrustedSubnets(ILogger log, string subnets);

    [LoggerMessage(2008, LogLevel.Warning, "--trusted-subnets {Subnets} has no effect without a password: data to every peer is unencrypted")]
    public static partial void TrustedSubnetsWithoutPassword(ILogger log, string subnets);

    [LoggerMessage(2010, LogLevel.Information, "Connection to {Peer} at {Address} established ({Direction}, protocol version {Version})")]
    public static partial void ConnectionEstablished(ILogger log, string peer, IPEndPoint address, string direction, int version);

    [LoggerMessage(2015, LogLevel.Information, "Data to {Peer} goes unencrypted: both ends trust each other's address (--trusted-subnets); control stays sealed")]
    public static partial void DataUnencryptedTrusted(ILogger log, string peer);

    [LoggerMessage(2011, LogLevel.Information, "Connection to {Peer} at {Address} closed: {Reason}")]
    public static partial void ConnectionClosed(ILogger log, string peer, IPEndPoint address, string reason);

    [LoggerMessage(2012, LogLevel.Warning, "Connection with {Address} refused: {Reason}")]
    public static partial void ConnectionRefused(ILogger log, string address, string reason);

    [LoggerMessage(2060, LogLevel.Warning, "{Count} more {Kind} in the last {Seconds} s, not logged one by one")]
    public static partial void Suppressed(ILogger log, int count, string kind, int seconds);

    [LoggerMessage(2061, LogLevel.Information, "Not connecting to {Target} for now: {Reason}")]
    public static partial void DialHeldBack(ILogger log, string target, string reason);

    [LoggerMessage(2013, LogLevel.Information, "Connecting to {Target} failed: {Error}")]
    public static partial void DialFailed(ILogger log, string target, string error);

    [LoggerMessage(2014, LogLevel.Information, "Peer {Peer} removed: unreachable over every advertised connection")]
    public static partial void PeerRemoved(ILogger log, string peer);

    [LoggerMessage(2020, LogLevel.Debug, "Data plane: frames for {Peer} go to UDP {EndPoint}")]
    public static partial void DataPeerAdded(ILogger log, string peer, IPEndPoint endPoint);

    [LoggerMessage(2021, LogLevel.Debug, "Data plane: {Peer} removed, {Forgotten} MAC addresses forgotten")]
    public static partial void DataPeerRemoved(ILogger log, string peer, int forgotten);

    [LoggerMessage(2022, LogLevel.Critical, "Data-plane thread {Thread} failed")]
    public static partial void DataPlaneThreadFailed(ILogger log, Exception exception, string thread);

    [LoggerMessage(2023, LogLevel.Information, "Data plane: MAC {Mac} moved to our bridge from {Peer}")]
    public static partial void MacMovedHere(ILogger log, string mac, string peer);

    [LoggerMessage(2024, LogLevel.Debug, "Data plane: MAC {Mac} now behind {Peer}")]
    public static partial void MacMoved(ILogger log, string mac, string peer);

    [LoggerMessage(2025, LogLevel.Information, "Data plane: UDP path to {Peer} healthy (heartbeats both ways on both ports)")]
    public static partial void DataPathHealthy(ILogger log, string peer);

    [LoggerMessage(2026, LogLevel.Warning, "Data plane: UDP path to {Peer} unhealthy, routing around it: {Reason}")]
    public static partial void DataPathUnhealthy(ILogger log, string peer, string reason);

    [LoggerMessage(EventId = 2030, Message = "IPAM {EventId}: {Message}")]
    public static partial void Ipam(ILogger log, LogLevel level, int eventId, string message);

    [LoggerMessage(2040, LogLevel.Information, "Host netfilter: nftables table {Family} {Table} set up ({Ranges} local range(s), {Peered} peered cluster range(s) kept unmasqueraded)")]
    public static partial void NetfilterApplied(ILogger log, string family, string table, int ranges, int peered);

    [LoggerMessage(2041, LogLevel.Warning, "Host netfilter: nftables table {Family} {Table} was changed or removed by something else: restored")]
    public static partial void NetfilterRestored(ILogger log, string family, string table);

    [LoggerMessage(2042, LogLevel.Information, "Host netfilter: the iptables FORWARD policy is drop: appended two rules accepting traffic through bridge {Bridge}")]
    public static partial void ForwardDropAccepted(ILogger log, string bridge);

    [LoggerMessage(2043, LogLevel.Error, "Host netfilter: {Error}; trying again in {Seconds} s")]
    public static partial void NetfilterFailed(ILogger log, string error, int seconds);

    [LoggerMessage(2044, LogLevel.Information, "Bridge {Bridge} exposed to the host as {Address}")]
    public static partial void Exposed(ILogger log, string bridge, string address);

    [LoggerMessage(2045, LogLevel.Warning, "Exposing bridge {Bridge} to the host failed: {Error}; trying again")]
    public static partial void ExposeFailed(ILogger log, string bridge, string error);

    [LoggerMessage(2046, LogLevel.Warning, "Removed {Path}: {Reason}")]
    public static partial void StateRemoved(ILogger log, string path, string reason);

    [LoggerMessage(2047, LogLevel.Critical, "Kubernetes add-on stopped working: {Error}")]
    public static partial void KubernetesFailed(ILogger log, Exception exception, string error);

    [LoggerMessage(2048, LogLevel.Information, "Kubernetes: {Nodes} node(s); {Targets} peer(s) to dial; IP allocation {Init}")]
    public static partial void KubernetesStart(ILogger log, int nodes, int targets, string init);

    [LoggerMessage(2049, LogLevel.Information, "Bridge {Bridge} has {Address} from before: kept allocated for weave:expose")]
    public static partial void BridgeAddressKept(ILogger log, string bridge, string address);

    [LoggerMessage(2050, LogLevel.Warning, "Bridge {Bridge}: cannot keep {Address} allocated for weave:expose: {Error}")]
    public static partial void BridgeAddressNotKept(ILogger log, string bridge, string address, string error);

    [LoggerMessage(2070, LogLevel.Information, "Cluster {Cluster}: IP allocation gossips on channel {Channel} with this cluster's routers only; peering with {Peering}")]
    public static partial void ClusterJoined(ILogger log, string cluster, string channel, string peering);

    [LoggerMessage(2071, LogLevel.Information, "Peered cluster range {Range}: routed onto bridge {Bridge}")]
    public static partial void PeeredRouteAdded(ILogger log, string range, string bridge);

    [LoggerMessage(2072, LogLevel.Information, "Peered cluster range {Range}: route onto bridge {Bridge} removed (no reachable router of that cluster, or not peered any more)")]
    public static partial void PeeredRouteRemoved(ILogger log, string range, string bridge);

    [LoggerMessage(2073, LogLevel.Warning, "Routes to peered clusters: {Error}; trying again in {Seconds} s")]
    public static partial void PeeredRoutesFailed(ILogger log, string error, int seconds);

    [LoggerMessage(2080, LogLevel.Information, "Fast path on: the kernel's {Device} carries VXLAN on UDP {Port} (VNI {Vni}); the router reads the sleeve")]
    public static partial void FastDpOn(ILogger log, string device, int port, int vni);

    [LoggerMessage(2081, LogLevel.Warning, "Fast path unavailable, using the router's own VXLAN: {Reason}")]
    public static partial void FastDpUnavailable(ILogger log, string reason);

    [LoggerMessage(2082, LogLevel.Information, "Fast path off: {Reason}")]
    public static partial void FastDpOff(ILogger log, string reason);

    [LoggerMessage(2083, LogLevel.Warning, "Fast path: the kernel refused {Count} forwarding-entry changes; trying again (last: {Error})")]
    public static partial void FastDpEntriesRefused(ILogger log, long count, string error);

    [LoggerMessage(2084, LogLevel.Warning, "Fast path: cannot read the forwarding entries or update the VXLAN port's filter: {Error}")]
    public static partial void FastDpPassFailed(ILogger log, string error);

    [LoggerMessage(2085, LogLevel.Warning, "Fast path: the kernel's VXLAN port admits datagrams from any host ({Reason}); install nft to admit only peers")]
    public static partial void FastDpUnfiltered(ILogger log, string reason);
}

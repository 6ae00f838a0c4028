using Weave.Gossip.Topology;

namespace Weave.Gossip.Mesh;

public sealed partial class MeshNode
{
    /// <summary>What <c>weave status</c> shows: our links, targets not connected, and every known peer's links.</summary>
    public MeshStatus Status()
    {
        var rows = new List<ConnectionRow>();
        foreach (Link link in SortedLinks())
        {
            IMeshConnection c = link.Connection;
            rows.Add(link.DataPathHealthy
                ? new ConnectionRow(c.Outbound, c.RemoteAddress, ConnectionStates.Established, c.Remote.Display) { Encrypted = c.Encrypted, Peer = c.Remote.Name }
                : new ConnectionRow(c.Outbound, c.RemoteAddress, ConnectionStates.Pending, $"{c.Remote.Display}, {link.DataPathReason}") { Encrypted = c.Encrypted, Peer = c.Remote.Name });
        }
        foreach (Target target in _targets.Values.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (IsConnected(target))
            {
                continue;
            }
            string state = target.Attempting
                ? (target.FailedBefore ? ConnectionStates.Retrying : ConnectionStates.Connecting)
                : (target.LastError is null ? ConnectionStates.Connecting : ConnectionStates.Failed);
            string info = target.LastError ?? "";
            if (!target.Attempting && target.LastError is not null && target.Fatal is null)
            {
                info += $", retry: {target.NextAttempt.ToLocalTime():yyyy-MM-dd HH:mm:ss}";
            }
            rows.Add(new ConnectionRow(true, target.Key, state, info));
        }
        var peers = new List<PeerRow>();
        foreach (PeerRecord record in _topology.Records.OrderBy(r => r.Name))
        {
            peers.Add(new PeerRow(record.Display, [.. record.Connections.Select(c =>
                new PeerLink(c.Outbound, c.RemoteAddress, DisplayOf(c.Remote), c.Established))]) { Cluster = record.Cluster });
        }
        string[] direct = [.. _targets.Values.Where(t => t.Direct).Select(t => t.Key).Order(StringComparer.Ordinal)];
        return new MeshStatus(Self, rows, peers, direct) { ConnectionTerminations = _connectionTerminations };
    }

    private string DisplayOf(PeerName name) =>
        _topology.TryGet(name, out PeerRecord? record) ? record.Display : name.ToString();
}

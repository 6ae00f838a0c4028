using Weave.Gossip.Topology;

namespace Weave.Gossip.Mesh;

/// <summary>
/// What one link owes its peer and has not sent yet because the peer reads slowly (or not at
/// all), kept so that it costs at most one entry per peer record and per gossip channel however
/// long the peer stalls, as weaveworks/mesh's gossip senders merge pending data: a newer record
/// of a peer replaces the pending one in its place, a digest is one flag (the current digest is
/// encoded when it goes), a channel's state is one name (its current full state goes, which
/// includes every delta that was due). Records go out in the order they were first queued.
/// Owned by the node's loop.
/// </summary>
internal sealed class Outbox
{
    private readonly Dictionary<PeerName, PeerRecord> _records = [];
    private readonly Queue<PeerName> _order = new();
    private readonly List<string> _channels = [];

    public bool IsEmpty => _records.Count == 0 && !DigestDue && _channels.Count == 0;

    /// <summary>A digest is due: the current one is sent when the link has room.</summary>
    public bool DigestDue { get; set; }

    public int PendingRecords => _records.Count;

    /// <summary>Queues a record; returns false when it replaced a pending record of the same peer (coalesced).</summary>
    public bool Add(PeerRecord record)
    {
        if (_records.ContainsKey(record.Name))
        {
            _records[record.Name] = record;
            return false;
        }
        _records[record.Name] = record;
        _order.Enqueue(record.Name);
        return true;
    }

    /// <summary>The oldest pending record, without taking it.</summary>
    public bool TryPeek(out PeerRecord record)
    {
        while (_order.TryPeek(out PeerName name))
        {
            if (_records.TryGetValue(name, out PeerRecord? found))
            {
                record = found;
                return true;
            }
            _order.Dequeue();
        }
        record = null!;
        return false;
    }

    public void Take(PeerName name)
    {
        _records.Remove(name);
        if (_order.TryPeek(out PeerName head) && head == name)
        {
            _order.Dequeue();
        }
    }

    /// <summary>Marks a channel's state due; returns false when it already was (coalesced).</summary>
    public bool AddChannel(string channel)
    {
        if (_channels.Contains(channel, StringComparer.Ordinal))
        {
            return false;
        }
        _channels.Add(channel);
        return true;
    }

    public bool TryTakeChannel(out string channel)
    {
        if (_channels.Count == 0)
        {
            channel = "";
            return false;
        }
        channel = _channels[0];
        _channels.RemoveAt(0);
        return true;
    }
}

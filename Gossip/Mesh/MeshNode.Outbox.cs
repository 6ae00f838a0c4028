using Weave.Gossip.Protocol;
using Weave.Gossip.Topology;

namespace Weave.Gossip.Mesh;

/// <summary>
/// Sending to a peer that reads slowly, or not at all. The host queues what <see cref="IMeshConnection.Send"/>
/// gets, within a bound of its own, and reports the bytes waiting (<see cref="IMeshConnection.SendBacklogBytes"/>);
/// once they reach <see cref="MeshOptions.SendBacklogLimitBytes"/> the node stops handing it
/// topology records, digests and channel state and keeps them in the link's <see cref="Outbox"/>,
/// coalesced, until the host says the queue drained (<see cref="OnSendDrained"/>) or a retry is
/// due. Our own record changes with every connection that comes or goes, and went to every link
/// each time: a peer that never read used to collect every version of it, O(N²) bytes in all;
/// now it holds at most one per peer. Unicasts and broadcasts of channels are not coalesced (a
/// gossiper cannot merge them here); they stay within the host's bound.
/// </summary>
public sealed partial class MeshNode
{
    private DateTimeOffset _backlogRetryDue = DateTimeOffset.MaxValue;
    private DateTimeOffset _relayFlushDue = DateTimeOffset.MaxValue;
    // Records that improved since the last relay flush, with the neighbour the newest version came
    // from. A dictionary that is only added to and cleared enumerates in insertion order, so a
    // flush goes in the same order in every run.
    private readonly Dictionary<PeerName, PeerName> _relaysPending = [];

    /// <summary>The host's queue for <paramref name="connection"/> drained: what the node held back for it goes now.</summary>
    public void OnSendDrained(IMeshConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!_stopped && _links.TryGetValue(connection.Remote.Name, out Link? link) && link.Connection == connection)
        {
            Flush(link);
        }
    }

    private bool Backlogged(Link link) => link.Connection.SendBacklogBytes >= _options.SendBacklogLimitBytes;

    private void QueueRecords(Link link, IReadOnlyList<PeerRecord> records)
    {
        AddRecords(link, records);
        Flush(link);
    }

    private static void AddRecords(Link link, IReadOnlyList<PeerRecord> records)
    {
        foreach (PeerRecord record in records)
        {
            link.Outbox.Add(record);
        }
    }

    /// <summary>On a tick: relays what improved since the last flush, once <see cref="MeshOptions.RelayDelay"/> has passed.</summary>
    private void FlushRelays(DateTimeOffset now)
    {
        if (now < _relayFlushDue)
        {
            return;
        }
        _relayFlushDue = DateTimeOffset.MaxValue;
        RelayPending();
    }

    private void QueueDigest(Link link)
    {
        link.Outbox.DigestDue = true;
        Flush(link);
    }

    private void QueueChannelState(Link link, string channel)
    {
        link.Outbox.AddChannel(channel);
        Flush(link);
    }

    /// <summary>
    /// Sends what the link owes while its backlog is under the limit: records first (in updates of
    /// about <see cref="UpdateChunkBytes"/>), then a digest, then channel states. With nothing
    /// queued at the host this sends everything at once, in the order it was queued.
    /// </summary>
    private void Flush(Link link)
    {
        Outbox box = link.Outbox;
        while (!box.IsEmpty && !Backlogged(link))
        {
            if (box.TryPeek(out _))
            {
                SendRecordChunk(link.Connection, box);
            }
            else if (box.DigestDue)
            {
                box.DigestDue = false;
                link.Connection.Send((byte)FrameTag.TopologyDigest, TopologyCodec.EncodeDigest(_topology.Digest()));
            }
            else if (box.TryTakeChannel(out string name) && _channels.TryGetValue(name, out Channel? channel))
            {
                var envelope = new GossipEnvelope(channel.Name, Self.Name, default, channel.Gossiper.FullState());
                link.Connection.Send((byte)FrameTag.Gossip, envelope.Encode());
            }
        }
        if (!box.IsEmpty && _backlogRetryDue == DateTimeOffset.MaxValue)
        {
            _backlogRetryDue = _time.GetUtcNow() + _options.BacklogRetryInterval;
        }
    }

    private static void SendRecordChunk(IMeshConnection connection, Outbox box)
    {
        var chunk = new List<PeerRecord>();
        int size = 0;
        while (box.TryPeek(out PeerRecord record))
        {
            int recordSize = EstimatedSize(record);
            if (chunk.Count > 0 && size + recordSize > UpdateChunkBytes)
            {
                break;
            }
            chunk.Add(record);
            size += recordSize;
            box.Take(record.Name);
        }
        connection.Send((byte)FrameTag.TopologyUpdate, TopologyCodec.EncodeRecords(chunk));
    }

    /// <summary>On a tick: retries every link that still owes something.</summary>
    private void RetryBacklogged(DateTimeOffset now)
    {
        if (now < _backlogRetryDue)
        {
            return;
        }
        _backlogRetryDue = DateTimeOffset.MaxValue;
        foreach (Link link in _links.Values.ToList())
        {
            if (!link.Outbox.IsEmpty)
            {
                Flush(link);
            }
        }
    }
}

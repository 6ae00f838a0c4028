using System.Runtime.InteropServices;
using Weave.Gossip.Channels;
using Weave.Gossip.Protocol;

namespace Weave.Gossip.Mesh;

/// <summary>
/// Gossip channels for other subsystems, as in weaveworks/mesh: unicast along unicast routes,
/// broadcast along the source's broadcast tree (each relay passes on what its gossiper found
/// new), and periodic state to a few random neighbours. Messages of channels we do not know are
/// relayed all the same, so peers of different versions can share a mesh.
/// </summary>
public sealed partial class MeshNode
{
    private readonly Dictionary<string, Channel> _channels = new(StringComparer.Ordinal);

    /// <summary>Hashes of unknown-channel gossip relayed this interval: relayed once, then dropped.</summary>
    private readonly HashSet<ulong> _relayedUnknownGossip = [];

    public IGossipChannel RegisterChannel(string name, IGossiper gossiper)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(gossiper);
        if (name.Length > GossipEnvelope.MaxChannelNameLength)
        {
            throw new ArgumentException($"channel names have at most {GossipEnvelope.MaxChannelNameLength} characters", nameof(name));
        }
        var channel = new Channel(this, name, gossiper);
        if (!_channels.TryAdd(name, channel))
        {
            throw new InvalidOperationException($"gossip channel {name} is already registered");
        }
        return channel;
    }

    /// <summary>How many random neighbours get periodic state: about 2·log₂(peers), as mesh 0.4 did.</summary>
    private int GossipFanout(int neighbours) =>
        Math.Min(neighbours, Math.Max(1, 2 * (int)Math.Ceiling(Math.Log2(Math.Max(2, _topology.Count)))));

    private void SendChannelStates(Link link)
    {
        foreach (Channel channel in _channels.Values)
        {
            QueueChannelState(link, channel.Name);
        }
    }

    private void GossipChannelStates(Link[] links)
    {
        _relayedUnknownGossip.Clear();
        foreach (Channel channel in _channels.Values)
        {
            SendToRandomNeighbours(new GossipEnvelope(channel.Name, Self.Name, default, channel.Gossiper.FullState()), channel, links, except: null);
        }
    }

    /// <summary>
    /// Sends channel gossip to a few random neighbours. A neighbour whose queue is backed up gets
    /// the channel's full state later instead (it holds every delta), once however many deltas
    /// were due; gossip of a channel we do not know is not kept for it.
    /// </summary>
    private void SendToRandomNeighbours(GossipEnvelope envelope, Channel? channel, Link[] links, PeerName? except)
    {
        Link[] candidates = except is null ? links : [.. links.Where(l => l.Connection.Remote.Name != except)];
        if (candidates.Length == 0)
        {
            return;
        }
        byte[] body = envelope.Encode();
        Link[] shuffled = [.. candidates];
        _random.Shuffle(shuffled);
        foreach (Link link in shuffled.Take(GossipFanout(shuffled.Length)))
        {
            if (!Backlogged(link))
            {
                link.Connection.Send((byte)FrameTag.Gossip, body);
            }
            else if (channel is not null)
            {
                QueueChannelState(link, channel.Name);
            }
        }
    }

    private Link[] SortedLinks() => [.. _links.Values.OrderBy(l => l.Connection.Remote.Name)];

    private void SendAlongBroadcastTree(GossipEnvelope envelope, PeerName? except)
    {
        byte[]? body = null;
        foreach (PeerName hop in GossipRoutes.BroadcastNextHops(envelope.Source))
        {
            if (hop != except && _links.TryGetValue(hop, out Link? link))
            {
                body ??= envelope.Encode();
                link.Connection.Send((byte)FrameTag.GossipBroadcast, body);
            }
        }
    }

    private void SendUnicast(GossipEnvelope envelope)
    {
        if (GossipRoutes.TryGetNextHop(envelope.Destination, out PeerName hop) && _links.TryGetValue(hop, out Link? link))
        {
            link.Connection.Send((byte)FrameTag.GossipUnicast, envelope.Encode());
        }
    }

    private void OnChannelMessage(Link from, FrameTag tag, ReadOnlyMemory<byte> body)
    {
        if (!GossipEnvelope.TryDecode(body, out GossipEnvelope? decoded, out string error))
        {
            DropLink(from, error);
            return;
        }
        GossipEnvelope envelope = decoded.Value;
        _channels.TryGetValue(envelope.Channel, out Channel? channel);
        PeerName sender = from.Connection.Remote.Name;
        switch (tag)
        {
            case FrameTag.GossipUnicast when envelope.Destination == Self.Name:
                channel?.Gossiper.OnUnicast(envelope.Source, envelope.Payload);
                break;
            case FrameTag.GossipUnicast:
                SendUnicast(envelope);
                break;
            case FrameTag.GossipBroadcast:
                byte[]? relay = channel is null ? envelope.Payload.ToArray() : channel.Gossiper.OnBroadcast(envelope.Source, envelope.Payload);
                if (relay is not null)
                {
                    SendAlongBroadcastTree(envelope with { Payload = relay }, except: sender);
                }
                break;
            case FrameTag.Gossip when channel is not null:
                byte[]? delta = channel.Gossiper.OnGossip(envelope.Payload);
                if (delta is not null)
                {
                    SendToRandomNeighbours(envelope with { Source = Self.Name, Payload = delta }, channel, SortedLinks(), except: sender);
                }
                break;
            case FrameTag.Gossip:
                // Recognised by channel and state, not by sender: every peer of a settled cluster
                // gossips the same state, so a peer of another cluster relays it once per interval
                // rather than once per sender, and its relaying does not grow with the clusters' size.
                if (_relayedUnknownGossip.Add(Fnv1a64(envelope.Payload.Span, Fnv1a64(MemoryMarshal.AsBytes(envelope.Channel.AsSpan())))))
                {
                    SendToRandomNeighbours(envelope, channel: null, SortedLinks(), except: sender);
                }
                break;
        }
    }

    /// <summary>FNV-1a, 64 bits: enough to recognise a repeat within one interval (Weave used the same); <paramref name="hash"/> chains a previous part.</summary>
    private static ulong Fnv1a64(ReadOnlySpan<byte> bytes, ulong hash = 14695981039346656037)
    {
        foreach (byte b in bytes)
        {
            hash = (hash ^ b) * 1099511628211;
        }
        return hash;
    }

    private sealed class Channel(MeshNode node, string name, IGossiper gossiper) : IGossipChannel
    {
        public string Name { get; } = name;
        public IGossiper Gossiper { get; } = gossiper;

        public void Unicast(PeerName destination, byte[] message)
        {
            var envelope = new GossipEnvelope(Name, node.Self.Name, destination, message);
            if (destination == node.Self.Name)
            {
                Gossiper.OnUnicast(node.Self.Name, message);
                return;
            }
            node.SendUnicast(envelope);
        }

        public void Broadcast(byte[] update) =>
            node.SendAlongBroadcastTree(new GossipEnvelope(Name, node.Self.Name, default, update), except: null);

        public void GossipToNeighbours(byte[] state) =>
            node.SendToRandomNeighbours(new GossipEnvelope(Name, node.Self.Name, default, state), this, node.SortedLinks(), except: null);
    }
}

using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;
using Weave.Gossip.Protocol;

namespace Weave.Gossip.Mesh;

/// <summary>
/// A channel message on the wire (tags GossipUnicast, GossipBroadcast, Gossip): a MessagePack
/// array <c>[channel name, source peer, destination peer (0 unless unicast), payload bytes]</c>.
/// Written and read with the low-level MessagePack reader, no reflection; decoding untrusted
/// bytes never throws.
/// </summary>
public readonly record struct GossipEnvelope(string Channel, PeerName Source, PeerName Destination, ReadOnlyMemory<byte> Payload)
{
    public const int MaxChannelNameLength = 64;

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(Payload.Length + 32);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(Channel);
        writer.Write(Source.Value);
        writer.Write(Destination.Value);
        writer.Write(Payload.Span);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static bool TryDecode(ReadOnlyMemory<byte> body, [NotNullWhen(true)] out GossipEnvelope? envelope, out string error)
    {
        envelope = null;
        try
        {
            var reader = new MessagePackReader(body);
            if (reader.ReadArrayHeader() != 4)
            {
                error = "gossip envelope is not a 4-element array";
                return false;
            }
            string? channel = reader.ReadString();
            ulong source = reader.ReadUInt64();
            ulong destination = reader.ReadUInt64();
            ReadOnlySequence<byte>? payload = reader.ReadBytes();
            if (string.IsNullOrEmpty(channel) || channel.Length > MaxChannelNameLength)
            {
                error = "gossip envelope has no channel name or one too long";
                return false;
            }
            if (source >> 48 != 0 || destination >> 48 != 0 || payload is null)
            {
                error = $"gossip envelope on channel {channel} has an invalid peer name or no payload";
                return false;
            }
            envelope = new GossipEnvelope(channel, new PeerName(source), new PeerName(destination), payload.Value.ToArray());
            error = "";
            return true;
        }
        catch (Exception e) when (MalformedInput.IsMessagePackError(e))
        {
            error = "malformed gossip envelope: " + e.Message;
            return false;
        }
    }
}

using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;
using Weave.Gossip;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;
using Weave.Gossip.Protocol;

namespace Weave.Ipam.Wire;

/// <summary>
/// The <c>ipam</c> channel's messages: one type byte, then a MessagePack body written with the
/// low-level writer. Everything from peers is read with <see cref="TryDecode"/>: sizes are bounded
/// before allocation, rings are validated, and no input throws.
/// <code>
/// 1 Ring         [ring, [[peer, nickname]...]]
/// 2 Paxos        [range start, prefix, [[peer, version, promise, accepted, [peer...]]...]]
///                  where a proposal is [round, proposer, uid]
/// 3 SpaceRequest [request id, exact address?, subnet start, prefix]
/// 4 SpaceGrant   [request id, ring]
/// 5 SpaceDenied  [request id, reason]
/// </code>
/// Types and array positions are never renumbered; a new field goes at the end of its array.
/// </summary>
internal static class IpamWire
{
    public const byte RingType = 1;
    public const byte PaxosType = 2;
    public const byte SpaceRequestType = 3;
    public const byte SpaceGrantType = 4;
    public const byte SpaceDeniedType = 5;

    /// <summary>The mesh's frame limit; nothing we send comes near it.</summary>
    public const int MaxMessageBytes = 1 << 20;

    public const int MaxNicknames = 4096;
    public const int MaxNicknameLength = 64;
    public const int MaxPaxosNodes = 1024;
    public const int MaxReasonLength = 512;

    public static byte[] Encode(IpamMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        switch (message)
        {
            case RingMessage m:
                writer.WriteRaw([RingType]);
                writer.WriteArrayHeader(2);
                RingCodec.Write(ref writer, m.Ring);
                writer.WriteArrayHeader(m.Nicknames.Count);
                foreach ((PeerName name, string nick) in m.Nicknames.OrderBy(p => p.Key))
                {
                    writer.WriteArrayHeader(2);
                    writer.Write(name.Value);
                    writer.Write(nick.Length > MaxNicknameLength ? nick[..MaxNicknameLength] : nick);
                }
                break;
            case PaxosMessage m:
                writer.WriteRaw([PaxosType]);
                writer.WriteArrayHeader(3);
                writer.Write(m.Range.Start);
                writer.Write(m.Range.PrefixLength);
                writer.WriteArrayHeader(m.Claims.Count);
                foreach ((PeerName name, NodeClaims c) in m.Claims.OrderBy(p => p.Key))
                {
                    WriteClaims(ref writer, name, c);
                }
                break;
            case SpaceRequestMessage m:
                writer.WriteRaw([SpaceRequestType]);
                writer.WriteArrayHeader(4);
                writer.Write(m.RequestId);
                writer.Write(m.ExactAddress);
                writer.Write(m.Subnet.Start);
                writer.Write(m.Subnet.PrefixLength);
                break;
            case SpaceGrantMessage m:
                writer.WriteRaw([SpaceGrantType]);
                writer.WriteArrayHeader(2);
                writer.Write(m.RequestId);
                RingCodec.Write(ref writer, m.Ring);
                break;
            case SpaceDeniedMessage m:
                writer.WriteRaw([SpaceDeniedType]);
                writer.WriteArrayHeader(2);
                writer.Write(m.RequestId);
                writer.Write(m.Reason.Length > MaxReasonLength ? m.Reason[..MaxReasonLength] : m.Reason);
                break;
            default:
                throw new ArgumentException($"unknown IPAM message {message.GetType().Name}", nameof(message));
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    internal static void WriteClaims(ref MessagePackWriter writer, PeerName name, NodeClaims c)
    {
        writer.WriteArrayHeader(5);
        writer.Write(name.Value);
        writer.Write(c.Version);
        WriteProposal(ref writer, c.Promise);
        WriteProposal(ref writer, c.Accepted);
        writer.WriteArrayHeader(c.Value.Length);
        foreach (PeerName p in c.Value)
        {
            writer.Write(p.Value);
        }
    }

    private static void WriteProposal(ref MessagePackWriter writer, ProposalId p)
    {
        writer.WriteArrayHeader(3);
        writer.Write(p.Round);
        writer.Write(p.Proposer.Value);
        writer.Write(p.Uid);
    }

    public static bool TryDecode(ReadOnlyMemory<byte> bytes, [NotNullWhen(true)] out IpamMessage? message, out string error)
    {
        message = null;
        if (bytes.Length < 2 || bytes.Length > MaxMessageBytes)
        {
            error = $"IPAM message of {bytes.Length} bytes is empty or too large";
            return false;
        }
        byte type = bytes.Span[0];
        try
        {
            var reader = new MessagePackReader(bytes[1..]);
            bool ok = type switch
            {
                RingType => TryReadRingMessage(ref reader, out message, out error),
                PaxosType => TryReadPaxos(ref reader, out message, out error),
                SpaceRequestType => TryReadSpaceRequest(ref reader, out message, out error),
                SpaceGrantType => TryReadSpaceGrant(ref reader, out message, out error),
                SpaceDeniedType => TryReadSpaceDenied(ref reader, out message, out error),
                _ => Fail($"unknown IPAM message type {type}", out message, out error),
            };
            if (ok && !reader.End)
            {
                return Fail($"IPAM message type {type} has trailing bytes", out message, out error);
            }
            return ok;
        }
        catch (Exception e) when (MalformedInput.IsMessagePackError(e) || e is InvalidOperationException)
        {
            return Fail($"malformed IPAM message type {type}: {e.Message}", out message, out error);
        }
    }

    private static bool Fail(string reason, out IpamMessage? message, out string error)
    {
        message = null;
        error = reason;
        return false;
    }

    private static bool TryReadRingMessage(ref MessagePackReader reader, out IpamMessage? message, out string error)
    {
        message = null;
        if (reader.ReadArrayHeader() != 2)
        {
            error = "ring message is not a 2-element array";
            return false;
        }
        if (!RingCodec.TryRead(ref reader, out Ring? ring, out error))
        {
            return false;
        }
        int count = reader.ReadArrayHeader();
        if (count > MaxNicknames)
        {
            error = $"ring message has {count} nicknames, more than {MaxNicknames}";
            return false;
        }
        var nicknames = new Dictionary<PeerName, string>(count);
        for (int i = 0; i < count; i++)
        {
            if (reader.ReadArrayHeader() != 2 || !RingCodec.TryReadPeerName(ref reader, out PeerName name))
            {
                error = "ring message nickname entry is malformed";
                return false;
            }
            string? nick = reader.ReadString();
            if (nick is null || nick.Length > MaxNicknameLength)
            {
                error = "ring message nickname is missing or too long";
                return false;
            }
            nicknames[name] = nick;
        }
        message = new RingMessage(ring, nicknames);
        return true;
    }

    private static bool TryReadPaxos(ref MessagePackReader reader, out IpamMessage? message, out string error)
    {
        message = null;
        if (reader.ReadArrayHeader() != 3)
        {
            error = "paxos message is not a 3-element array";
            return false;
        }
        if (!RingCodec.TryReadRange(reader.ReadUInt32(), reader.ReadInt32(), out Cidr range, out error))
        {
            return false;
        }
        int count = reader.ReadArrayHeader();
        if (count > MaxPaxosNodes)
        {
            error = $"paxos message has {count} nodes, more than {MaxPaxosNodes}";
            return false;
        }
        var claims = new Dictionary<PeerName, NodeClaims>(count);
        for (int i = 0; i < count; i++)
        {
            if (!TryReadClaims(ref reader, out PeerName name, out NodeClaims? c, out error))
            {
                return false;
            }
            if (!claims.TryAdd(name, c))
            {
                error = $"paxos message names {name} twice";
                return false;
            }
        }
        message = new PaxosMessage(range, claims);
        return true;
    }

    internal static bool TryReadClaims(ref MessagePackReader reader, out PeerName name, [NotNullWhen(true)] out NodeClaims? claims, out string error)
    {
        claims = null;
        if (reader.ReadArrayHeader() != 5 || !RingCodec.TryReadPeerName(ref reader, out name) || name.Value == 0)
        {
            name = default;
            error = "paxos claims are not [peer, version, promise, accepted, value]";
            return false;
        }
        ulong version = reader.ReadUInt64();
        if (!TryReadProposal(ref reader, out ProposalId promise) || !TryReadProposal(ref reader, out ProposalId accepted))
        {
            error = "paxos proposal is not [round, proposer, uid]";
            return false;
        }
        int count = reader.ReadArrayHeader();
        if (count > Ring.MaxSeeds)
        {
            error = $"paxos value has {count} peers, more than {Ring.MaxSeeds}";
            return false;
        }
        var value = new PeerName[count];
        for (int i = 0; i < count; i++)
        {
            if (!RingCodec.TryReadPeerName(ref reader, out value[i]) || value[i].Value == 0 || (i > 0 && value[i - 1] >= value[i]))
            {
                error = "paxos value is not a sorted set of peer names";
                return false;
            }
        }
        if (accepted.IsNone != (count == 0) || promise < accepted)
        {
            error = "paxos claims are inconsistent (a value without acceptance, or a promise below the acceptance)";
            return false;
        }
        claims = new NodeClaims(version, promise, accepted, value);
        error = "";
        return true;
    }

    private static bool TryReadProposal(ref MessagePackReader reader, out ProposalId proposal)
    {
        proposal = default;
        if (reader.ReadArrayHeader() != 3)
        {
            return false;
        }
        ulong round = reader.ReadUInt64();
        if (!RingCodec.TryReadPeerName(ref reader, out PeerName proposer))
        {
            return false;
        }
        proposal = new ProposalId(round, proposer, reader.ReadUInt64());
        return true;
    }

    private static bool TryReadSpaceRequest(ref MessagePackReader reader, out IpamMessage? message, out string error)
    {
        message = null;
        if (reader.ReadArrayHeader() != 4)
        {
            error = "space request is not a 4-element array";
            return false;
        }
        ulong id = reader.ReadUInt64();
        bool exact = reader.ReadBoolean();
        uint start = reader.ReadUInt32();
        int prefix = reader.ReadInt32();
        if (prefix is < 0 or > 32 || (start & ~Cidr.Mask(prefix)) != 0 || exact != (prefix == 32))
        {
            error = $"space request for {Ip4.Format(start)}/{prefix} is not an aligned subnet (or a /32 for an exact address)";
            return false;
        }
        message = new SpaceRequestMessage(id, exact, Cidr.FromValue(start, prefix));
        error = "";
        return true;
    }

    private static bool TryReadSpaceGrant(ref MessagePackReader reader, out IpamMessage? message, out string error)
    {
        message = null;
        if (reader.ReadArrayHeader() != 2)
        {
            error = "space grant is not a 2-element array";
            return false;
        }
        ulong id = reader.ReadUInt64();
        if (!RingCodec.TryRead(ref reader, out Ring? ring, out error))
        {
            return false;
        }
        message = new SpaceGrantMessage(id, ring);
        return true;
    }

    private static bool TryReadSpaceDenied(ref MessagePackReader reader, out IpamMessage? message, out string error)
    {
        message = null;
        if (reader.ReadArrayHeader() != 2)
        {
            error = "space denial is not a 2-element array";
            return false;
        }
        ulong id = reader.ReadUInt64();
        string? reason = reader.ReadString();
        if (reason is null || reason.Length > MaxReasonLength)
        {
            error = "space denial has no reason or one too long";
            return false;
        }
        message = new SpaceDeniedMessage(id, reason);
        error = "";
        return true;
    }
}

using System.Buffers;
using System.IO.Pipelines;

namespace Weave.Gossip.Protocol;

/// <summary>The agreed version and what the remote peer said about itself; with a password, the sealed session.</summary>
public sealed record HandshakeResult(byte Version, PeerIntro Remote)
{
    /// <summary>The connection's record layers and keys; null on a connection without a password.</summary>
    public ControlSession? Session { get; init; }

    /// <summary>Our intro said <c>Trusted</c> (we trust the peer's address).</summary>
    public bool LocalTrusted { get; init; }

    /// <summary>The data between us is sealed: a password, and not both ends trusting the other (<see cref="DataTrust"/>).</summary>
    public bool DataSealed => DataTrust.IsDataSealed(Session is not null, LocalTrusted, Remote.Trusted);
}

/// <summary>
/// The opening of a control connection, the same on both ends (no client/server roles): send our
/// header, read theirs, agree on the highest common version, then exchange intros. Both ends
/// detect a version mismatch themselves, so both log the same clear error. The whole exchange has
/// one deadline: a peer that connects and says nothing cannot hold a slot. With a password the
/// intros carry ephemeral keys and both ends then confirm the derived keys (see Handshake.Secure.cs).
/// </summary>
public static partial class Handshake
{
    /// <param name="security">The router's password and ciphers; null for a router without a password.</param>
    /// <param name="outbound">We dialled: fixes the order of the transcript and which key is whose.</param>
    public static async Task<HandshakeResult> RunAsync(
        Stream stream, PipeReader reader, ProtocolHeader ours, PeerIntro local,
        TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken,
        ControlSecurity? security = null, bool outbound = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(local);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        CancellationToken ct = linked.Token;
        using Crypto.EphemeralKey? ephemeral = security is null ? null : Crypto.EphemeralKey.Create();
        try
        {
            var header = new byte[WireFormat.HeaderSizeBytes];
            ours.Write(header);
            await stream.WriteAsync(header, ct).ConfigureAwait(false);

            ProtocolHeader theirs = await ReadHeaderAsync(reader, ct).ConfigureAwait(false);
            if (!ours.TryNegotiate(theirs, out byte version))
            {
                throw new ProtocolException($"no common protocol version: we speak {ours}, the peer speaks {theirs}");
            }

            if (security is not null && ephemeral is not null)
            {
                local = local with { PublicKey = ephemeral.PublicKey, Ciphers = Crypto.CipherSuites.Offer(security.Ciphers) };
            }
            byte[] ourIntro = local.Encode();
            await stream.WriteAsync(FrameCodec.Encode(FrameTag.Intro, ourIntro), ct).ConfigureAwait(false);
            var (tag, theirIntro) = await FrameCodec.ReadFrameAsync(reader, WireFormat.MaxIntroBytes, ct).ConfigureAwait(false)
                ?? throw new ProtocolException("connection closed before the peer's intro");
            if (tag != (byte)FrameTag.Intro)
            {
                throw new ProtocolException($"expected an intro, got a frame with tag {tag}");
            }
            if (!PeerIntro.TryDecode(theirIntro, out PeerIntro? remote, out string error))
            {
                throw new ProtocolException(error);
            }
            if (security is null)
            {
                if (remote!.WantsEncryption)
                {
                    throw new ProtocolException("encryption mismatch: the peer has a password and we have none (set the same --password on every peer)");
                }
                return new HandshakeResult(version, remote) { LocalTrusted = local.Trusted };
            }
            if (!remote!.WantsEncryption)
            {
                throw new ProtocolException("encryption mismatch: we have a password and the peer has none (set the same --password on every peer)");
            }
            var exchange = new Exchange(ours, theirs, version, ourIntro, theirIntro, local, remote, outbound);
            return await SecureAsync(stream, reader, exchange, ephemeral!, security, time, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProtocolException($"handshake not completed within {timeout.TotalSeconds:0.###} s");
        }
    }

    private static async Task<ProtocolHeader> ReadHeaderAsync(PipeReader reader, CancellationToken ct)
    {
        ReadResult read = await reader.ReadAtLeastAsync(WireFormat.HeaderSizeBytes, ct).ConfigureAwait(false);
        ReadOnlySequence<byte> buffer = read.Buffer;
        if (buffer.Length < WireFormat.HeaderSizeBytes)
        {
            reader.AdvanceTo(buffer.Start, buffer.End);
            throw new ProtocolException("connection closed before the peer's protocol header");
        }
        var bytes = new byte[WireFormat.HeaderSizeBytes];
        buffer.Slice(0, WireFormat.HeaderSizeBytes).CopyTo(bytes);
        reader.AdvanceTo(buffer.GetPosition(WireFormat.HeaderSizeBytes));
        if (!ProtocolHeader.TryParse(bytes, out ProtocolHeader header, out string error))
        {
            throw new ProtocolException(error);
        }
        return header;
    }
}

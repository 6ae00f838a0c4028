using System.IO.Pipelines;
using Weave.Crypto;

namespace Weave.Gossip.Protocol;

public static partial class Handshake
{
    /// <summary>Everything both ends said in clear, which the keys are bound to.</summary>
    private sealed record Exchange(ProtocolHeader OurHeader, ProtocolHeader TheirHeader, byte Version,
        byte[] OurIntro, byte[] TheirIntro, PeerIntro Local, PeerIntro Remote, bool Outbound);

    /// <summary>The message of a key confirmation that did not open: both ends log it with the peer's address.</summary>
    public const string AuthenticationFailed = "authentication failed";

    /// <summary>
    /// Keys from the ephemeral X25519 secret and the hardened password, bound to the transcript of
    /// both headers, the agreed version and both intros (dialer first); then a key confirmation each
    /// way before anything else: the first sealed record, carrying the private part of the intro.
    /// Both ends send theirs before reading, so with different passwords both fail to open the
    /// other's and both report <see cref="AuthenticationFailed"/>. The intros' <c>Trusted</c> features
    /// are in the transcript: a man in the middle who flips one (to make the data plaintext) leaves
    /// the ends with different keys, and the confirmation fails.
    /// </summary>
    private static async Task<HandshakeResult> SecureAsync(Stream stream, PipeReader reader, Exchange exchange,
        EphemeralKey ephemeral, ControlSecurity security, TimeProvider time, CancellationToken ct)
    {
        string dialerCiphers = (exchange.Outbound ? exchange.Local : exchange.Remote).Ciphers ?? "";
        string acceptorCiphers = (exchange.Outbound ? exchange.Remote : exchange.Local).Ciphers ?? "";
        if (!CipherSuites.TryAgree(dialerCiphers, acceptorCiphers, out CipherSuite suite, out string cipherError))
        {
            throw new ProtocolException(cipherError);
        }
        byte[] transcript = Transcript(exchange);
        if (!SessionKeys.TryDerive(ephemeral, exchange.Remote.PublicKey!.Value.Span, security.Password, transcript,
                exchange.Outbound, suite, out SessionKeys? keys, out string keyError))
        {
            throw new ProtocolException(keyError);
        }
        StreamRecordSealer sealer = keys!.CreateControlSealer(time);
        StreamRecordOpener opener = keys.CreateControlOpener(WireFormat.MaxFrameBytes, security.Counters);
        var session = new ControlSession(keys, sealer, opener);
        try
        {
            await stream.WriteAsync(sealer.Seal(exchange.Local.EncodePrivate()), ct).ConfigureAwait(false);
            byte[]? confirmation;
            try
            {
                confirmation = await SealedFrames.ReadAsync(reader, opener, ct).ConfigureAwait(false);
            }
            catch (ProtocolException e)
            {
                throw new ProtocolException($"{AuthenticationFailed}: the peer's key confirmation did not open (a different password?): {e.Message}", e);
            }
            if (confirmation is null)
            {
                // A peer that found our confirmation wrong hangs up without sending more.
                throw new ProtocolException($"{AuthenticationFailed}: the peer closed the connection before confirming the keys (a different password?)");
            }
            if (!exchange.Remote.TryAddPrivate(confirmation, out PeerIntro? remote, out string error))
            {
                throw new ProtocolException(error);
            }
            return new HandshakeResult(exchange.Version, remote!) { Session = session, LocalTrusted = exchange.Local.Trusted };
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static byte[] Transcript(Exchange exchange)
    {
        Span<byte> ourHeader = stackalloc byte[WireFormat.HeaderSizeBytes];
        Span<byte> theirHeader = stackalloc byte[WireFormat.HeaderSizeBytes];
        exchange.OurHeader.Write(ourHeader);
        exchange.TheirHeader.Write(theirHeader);
        using var transcript = new HandshakeTranscript();
        transcript.Append("dialer header"u8, exchange.Outbound ? ourHeader : theirHeader);
        transcript.Append("acceptor header"u8, exchange.Outbound ? theirHeader : ourHeader);
        transcript.Append("version"u8, [exchange.Version]);
        transcript.Append("dialer intro"u8, exchange.Outbound ? exchange.OurIntro : exchange.TheirIntro);
        transcript.Append("acceptor intro"u8, exchange.Outbound ? exchange.TheirIntro : exchange.OurIntro);
        return transcript.Hash();
    }
}

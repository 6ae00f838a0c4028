using Weave.Crypto;

namespace Weave.Gossip.Protocol;

/// <summary>
/// What a router with a password brings to every handshake: the password hardened once at start,
/// the ciphers it offers, and the counters its control connections report failures to.
/// </summary>
public sealed class ControlSecurity
{
    public ControlSecurity(HardenedPassword password, CryptoCounters counters, IReadOnlyList<CipherSuite>? ciphers = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(counters);
        Password = password;
        Counters = counters;
        Ciphers = ciphers ?? CipherSuites.Supported;
    }

    public HardenedPassword Password { get; }
    public CryptoCounters Counters { get; }
    public IReadOnlyList<CipherSuite> Ciphers { get; }
}

/// <summary>
/// The sealed state of one control connection after its handshake: the record layer of each
/// direction (already past the key confirmation) and the session's keys, the data plane's among them.
/// </summary>
public sealed class ControlSession : IDisposable
{
    public ControlSession(SessionKeys keys, StreamRecordSealer sealer, StreamRecordOpener opener)
    {
        Keys = keys;
        Sealer = sealer;
        Opener = opener;
    }

    public SessionKeys Keys { get; }
    public StreamRecordSealer Sealer { get; }
    public StreamRecordOpener Opener { get; }
    public CipherSuite Suite => Keys.Suite;

    public void Dispose()
    {
        Sealer.Dispose();
        Opener.Dispose();
        Keys.Dispose();
    }
}

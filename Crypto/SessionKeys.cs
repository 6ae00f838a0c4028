namespace Weave.Crypto;

/// <summary>
/// The keys of one connection, per plane and per direction, from one key schedule:
/// <code>
///   prk = HKDF-Extract(salt = Argon2id(password), ikm = X25519(our ephemeral, their ephemeral))
///   key = HKDF-Expand(prk, "weave-cs v1 " + plane + " " + sender role + transcript hash, 32)
/// </code>
/// Plane is control (the TCP stream) or data (UDP datagrams); the sender role is dialer or
/// acceptor, so each direction has its own key and a record reflected back to its sender never
/// opens. Without the password the keys cannot be computed even by someone who saw the whole
/// handshake; with a different password each end gets different keys.
/// </summary>
public sealed class SessionKeys : IDisposable
{
    private readonly byte[] _controlSend;
    private readonly byte[] _controlReceive;
    private readonly byte[] _dataSend;
    private readonly byte[] _dataReceive;

    private SessionKeys(CipherSuite suite, byte[] controlSend, byte[] controlReceive, byte[] dataSend, byte[] dataReceive)
    {
        Suite = suite;
        _controlSend = controlSend;
        _controlReceive = controlReceive;
        _dataSend = dataSend;
        _dataReceive = dataReceive;
    }

    public CipherSuite Suite { get; }

    /// <summary>Derives the keys; false when the remote public key is unusable (wrong size, low order).</summary>
    public static bool TryDerive(EphemeralKey local, ReadOnlySpan<byte> remotePublicKey, HardenedPassword password,
        ReadOnlySpan<byte> transcriptHash, bool weDialled, CipherSuite suite, out SessionKeys? keys, out string error)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(password);
        keys = null;
        Span<byte> shared = stackalloc byte[EphemeralKey.SharedSecretSizeBytes];
        Span<byte> prk = stackalloc byte[Hkdf.PrkSizeBytes];
        try
        {
            if (!local.TryAgree(remotePublicKey, shared))
            {
                error = "the peer's ephemeral public key is invalid";
                return false;
            }
            Hkdf.Extract(shared, password.Value, prk);
            byte[] controlDialer = Expand(prk, "control dialer", transcriptHash);
            byte[] controlAcceptor = Expand(prk, "control acceptor", transcriptHash);
            byte[] dataDialer = Expand(prk, "data dialer", transcriptHash);
            byte[] dataAcceptor = Expand(prk, "data acceptor", transcriptHash);
            keys = weDialled
                ? new SessionKeys(suite, controlDialer, controlAcceptor, dataDialer, dataAcceptor)
                : new SessionKeys(suite, controlAcceptor, controlDialer, dataAcceptor, dataDialer);
            error = "";
            return true;
        }
        finally
        {
            shared.Clear();
            prk.Clear();
        }
    }

    private static byte[] Expand(ReadOnlySpan<byte> prk, string label, ReadOnlySpan<byte> transcriptHash)
    {
        byte[] info = [.. System.Text.Encoding.ASCII.GetBytes("weave-cs v1 " + label + " "), .. transcriptHash];
        byte[] key = new byte[RecordFormat.KeySizeBytes];
        Hkdf.Expand(prk, info, key);
        return key;
    }

    public StreamRecordSealer CreateControlSealer(TimeProvider time) => new(Suite, _controlSend, time);

    public StreamRecordOpener CreateControlOpener(int maxContentBytes, CryptoCounters counters) =>
        new(Suite, _controlReceive, maxContentBytes, counters);

    /// <summary>For the data plane (sleeve on UDP), which does not use them yet.</summary>
    public DatagramSealer CreateDataSealer(TimeProvider time) => new(Suite, _dataSend, time);

    /// <summary>For the data plane (sleeve on UDP), which does not use them yet.</summary>
    public DatagramOpener CreateDataOpener(CryptoCounters counters) => new(Suite, _dataReceive, counters);

    public void Dispose()
    {
        Array.Clear(_controlSend);
        Array.Clear(_controlReceive);
        Array.Clear(_dataSend);
        Array.Clear(_dataReceive);
    }
}

namespace Weave.Crypto;

/// <summary>
/// A key and its cipher, moving along the ratchet together (<see cref="Hkdf.Ratchet"/>); the key
/// bytes are wiped on each step and on dispose. Used by every record layer, sealing or opening.
/// </summary>
internal sealed class RatchetKey : IDisposable
{
    private readonly CipherSuite _suite;
    private readonly byte[] _key = new byte[RecordFormat.KeySizeBytes];

    public RatchetKey(CipherSuite suite, ReadOnlySpan<byte> key)
    {
        _suite = suite;
        key.CopyTo(_key);
        Cipher = RecordCipher.Create(suite, _key);
    }

    public RecordCipher Cipher { get; private set; }

    /// <summary>How many steps the key has taken.</summary>
    public int Steps { get; private set; }

    /// <summary>Replaces the key by the next one; the old one cannot be computed from it.</summary>
    public void Step()
    {
        Hkdf.Ratchet(_key, _key);
        Cipher.Dispose();
        Cipher = RecordCipher.Create(_suite, _key);
        Steps++;
    }

    /// <summary>A new cipher for the key one step ahead (this key does not move).</summary>
    public RatchetKey Next()
    {
        var next = new RatchetKey(_suite, _key);
        next.Step();
        return next;
    }

    public void Dispose()
    {
        Cipher.Dispose();
        Array.Clear(_key);
    }
}

/// <summary>When a sender's key is due to move on: after a number of messages or a time, whichever first.</summary>
internal sealed class RekeySchedule
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _afterTime;
    private long _keyStarted;

    public RekeySchedule(TimeProvider time, ulong afterMessages, TimeSpan? afterTime)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfZero(afterMessages);
        _time = time;
        AfterMessages = afterMessages;
        _afterTime = afterTime ?? RecordFormat.RekeyAfterTime;
        _keyStarted = time.GetTimestamp();
    }

    public ulong AfterMessages { get; }

    public bool TimeIsUp => _time.GetElapsedTime(_keyStarted) >= _afterTime;

    /// <summary>A new key started now.</summary>
    public void Restart() => _keyStarted = _time.GetTimestamp();
}

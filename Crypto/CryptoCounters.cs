namespace Weave.Crypto;

/// <summary>
/// What the record layers dropped, for status and metrics. Shared by every session of a plane and
/// updated from any thread; counting is all an unauthenticated sender ever costs us.
/// </summary>
public sealed class CryptoCounters
{
    private long _authenticationFailures;
    private long _replays;
    private long _malformed;

    /// <summary>Records or datagrams whose tag did not match (wrong key, tampering, a stranger).</summary>
    public long AuthenticationFailures => Interlocked.Read(ref _authenticationFailures);

    /// <summary>Datagrams seen before, or too old for the replay window.</summary>
    public long Replays => Interlocked.Read(ref _replays);

    /// <summary>Records or datagrams too short, too long, or of an unknown key epoch or type.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Every counter by name, for metrics (listed by hand: no reflection under Native AOT).</summary>
    public (string Name, long Value)[] Snapshot() =>
    [
        (nameof(AuthenticationFailures), AuthenticationFailures),
        (nameof(Replays), Replays),
        (nameof(Malformed), Malformed),
    ];

    internal void CountAuthenticationFailure() => Interlocked.Increment(ref _authenticationFailures);

    internal void CountReplay() => Interlocked.Increment(ref _replays);

    internal void CountMalformed() => Interlocked.Increment(ref _malformed);
}

namespace Weave.Crypto;

/// <summary>
/// Which datagram counters have been accepted: the highest so far and a sliding bitmap of the
/// <see cref="Size"/> below it (a ring of 64-bit blocks, as in WireGuard's replay filter). A
/// counter is fresh when above the highest, or within the window and not yet seen. Checking and
/// accepting are separate, so the caller accepts only after the datagram authenticated: forged
/// counters never move the window. One thread at a time.
/// </summary>
public sealed class ReplayWindow
{
    private const int BlockBits = 64;
    private const int Blocks = 64;

    /// <summary>How far below the highest counter reordered datagrams are still accepted.</summary>
    public const int Size = (Blocks - 1) * BlockBits;

    private readonly ulong[] _ring = new ulong[Blocks];
    private ulong _highest;

    /// <summary>True when <paramref name="counter"/> was not accepted before and is not too old.</summary>
    public bool IsFresh(ulong counter)
    {
        if (counter > _highest)
        {
            return true;
        }
        if (_highest - counter > Size)
        {
            return false;
        }
        return (_ring[BlockOf(counter)] & BitOf(counter)) == 0;
    }

    /// <summary>True when <paramref name="counter"/> is below the window: it can never be accepted.</summary>
    public bool IsTooOld(ulong counter) => counter < _highest && _highest - counter > Size;

    /// <summary>Marks an authenticated counter as seen, sliding the window forward when it is the highest.</summary>
    public void Accept(ulong counter)
    {
        if (counter > _highest)
        {
            ulong current = _highest / BlockBits;
            ulong target = counter / BlockBits;
            ulong steps = Math.Min(target - current, Blocks);
            for (ulong i = 1; i <= steps; i++)
            {
                _ring[(int)((current + i) % Blocks)] = 0;
            }
            _highest = counter;
        }
        _ring[BlockOf(counter)] |= BitOf(counter);
    }

    /// <summary>Forgets everything (a new key starts its counters at zero).</summary>
    public void Reset()
    {
        Array.Clear(_ring);
        _highest = 0;
    }

    private static int BlockOf(ulong counter) => (int)(counter / BlockBits % Blocks);

    private static ulong BitOf(ulong counter) => 1UL << (int)(counter % BlockBits);
}

using MessagePack;

namespace Weave.Gossip.Protocol;

/// <summary>
/// What MessagePack's reader throws on bytes that are not what they claim, so every decoder of
/// untrusted input turns all of it into its own refusal: a truncated value, a wrong type, a number
/// out of range, nesting too deep, and a length too large to be an int (a str32 or bin32 header of
/// 3 GB makes the reader slice with a negative length: ArgumentOutOfRangeException, found by the
/// decoders' property tests).
/// </summary>
public static class MalformedInput
{
    public static bool IsMessagePackError(Exception e) =>
        e is MessagePackSerializationException or EndOfStreamException or OverflowException or ArgumentOutOfRangeException
            or InsufficientExecutionStackException;
}

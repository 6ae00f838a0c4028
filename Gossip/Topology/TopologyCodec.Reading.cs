using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using MessagePack;

namespace Weave.Gossip.Topology;

/// <summary>Reading helpers shared by the decoders: counts, names, bounded strings, skipping future fields.</summary>
public static partial class TopologyCodec
{
    private static bool IsMalformed(Exception e) => Protocol.MalformedInput.IsMessagePackError(e);

    private static void CheckCount(int count, int max, string paramName)
    {
        if (count > max)
        {
            throw new ArgumentException($"{count} entries, more than {max}", paramName);
        }
    }

    /// <summary>Reads an array header; the reader has checked that this many elements can fit in the rest.</summary>
    private static bool TryReadCount(ref MessagePackReader reader, int max, string what, out int count, out string error)
    {
        count = reader.ReadArrayHeader();
        if (count > max)
        {
            error = $"{what}: {count} entries, more than {max}";
            return false;
        }
        error = "";
        return true;
    }

    private static bool TryReadEnd(ref MessagePackReader reader, string what, out string error)
    {
        if (!reader.End)
        {
            error = $"{what}: trailing bytes after the message";
            return false;
        }
        error = "";
        return true;
    }

    private static bool TryReadName(ref MessagePackReader reader, out PeerName name)
    {
        ulong value = reader.ReadUInt64();
        if (value > MaxName)
        {
            name = default;
            return false;
        }
        name = new PeerName(value);
        return true;
    }

    /// <summary>Reads a non-nil string of at most <paramref name="maxChars"/> UTF-16 units, checking its byte length first.</summary>
    private static bool TryReadString(ref MessagePackReader reader, int maxChars, [NotNullWhen(true)] out string? value)
    {
        value = null;
        if (reader.IsNil)
        {
            return false;
        }
        // Each UTF-16 unit takes at least one UTF-8 byte and at most four (for a pair, two units).
        int maxBytes = maxChars * 4;
        if (reader.TryReadStringSpan(out ReadOnlySpan<byte> span))
        {
            if (span.Length > maxBytes)
            {
                return false;
            }
            value = System.Text.Encoding.UTF8.GetString(span);
        }
        else
        {
            ReadOnlySequence<byte> sequence = reader.ReadStringSequence() ?? default;
            if (sequence.Length > maxBytes)
            {
                return false;
            }
            value = System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, sequence);
        }
        return value.Length <= maxChars;
    }

    /// <summary>Skips fields a newer peer appended, with nesting bounded as for untrusted data.</summary>
    private static void SkipFields(ref MessagePackReader reader, int count)
    {
        for (int i = 0; i < count; i++)
        {
            SkipValue(ref reader);
        }
    }

    private static void DepthStep(ref MessagePackReader reader)
    {
        if (++reader.Depth > MaxSkipDepth)
        {
            throw new MessagePackSerializationException($"future fields nested deeper than {MaxSkipDepth}");
        }
    }

    private static void SkipValue(ref MessagePackReader reader)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
            {
                int count = reader.ReadArrayHeader();
                DepthStep(ref reader);
                SkipFields(ref reader, count);
                reader.Depth--;
                break;
            }
            case MessagePackType.Map:
            {
                int count = reader.ReadMapHeader();
                DepthStep(ref reader);
                for (int i = 0; i < count; i++)
                {
                    SkipValue(ref reader);
                    SkipValue(ref reader);
                }
                reader.Depth--;
                break;
            }
            default:
                reader.Skip();
                break;
        }
    }
}

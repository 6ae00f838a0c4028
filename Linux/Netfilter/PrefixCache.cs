using System.Text;

namespace Weave.Linux.Netfilter;

/// <summary>
/// The prefix strings seen so far, looked up by their bytes, so that a socket receiving the
/// packets of the same few rules allocates no string per packet. Bounded: once it holds
/// <see cref="Capacity"/> prefixes, a new one is decoded afresh each time. Used by one thread
/// (a socket's receiver), so it takes no lock.
/// </summary>
internal sealed class PrefixCache
{
    /// <summary>More than the chains of a node's table (two per local pod), far less than memory.</summary>
    public const int Capacity = 4096;

    private readonly Dictionary<string, string> _prefixes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    public PrefixCache()
    {
        _byChars = _prefixes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _prefixes.Count;

    /// <summary>The string of <paramref name="ascii"/>, which the parser checked is printable ASCII
    /// of at most <see cref="NflogConstants.NF_LOG_PREFIXLEN"/> bytes.</summary>
    public string Get(ReadOnlySpan<byte> ascii)
    {
        Span<char> chars = stackalloc char[NflogConstants.NF_LOG_PREFIXLEN];
        if (Ascii.ToUtf16(ascii, chars, out int written) != System.Buffers.OperationStatus.Done)
        {
            throw new InvalidOperationException("a prefix the parser passed is not ASCII of at most NF_LOG_PREFIXLEN bytes");
        }
        ReadOnlySpan<char> text = chars[..written];
        if (_byChars.TryGetValue(text, out string? known))
        {
            return known;
        }
        string prefix = text.ToString();
        if (_prefixes.Count < Capacity)
        {
            _prefixes.Add(prefix, prefix);
        }
        return prefix;
    }
}

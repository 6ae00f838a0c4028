using System.Globalization;
using System.Text;

namespace Weave.Router;

/// <summary>
/// Text that came from the network (nicknames, names, error strings built from them), made safe
/// to log: a remote peer's nickname may hold ESC sequences that repaint an operator's terminal,
/// NULs that cut a line short for some tools, or newlines that forge log lines of their own.
/// Control characters (C0, DEL, C1, line and paragraph separators) become <c>\xNN</c> or
/// <c>\uNNNN</c>, and a backslash becomes <c>\\</c>, so what is shown is unambiguous.
/// </summary>
internal static class LogText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }
        int first = text.AsSpan().IndexOfAny(s_special);
        if (first < 0)
        {
            return text;
        }
        var escaped = new StringBuilder(text.Length + 8);
        escaped.Append(text, 0, first);
        foreach (char c in text.AsSpan(first))
        {
            if (c == '\\')
            {
                escaped.Append(@"\\");
            }
            else if (IsSpecial(c))
            {
                escaped.Append(c <= 0xff
                    ? string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}")
                    : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
            }
            else
            {
                escaped.Append(c);
            }
        }
        return escaped.ToString();
    }

    private static bool IsSpecial(char c) => c < 0x20 || (c >= 0x7f && c <= 0x9f) || c is '\u2028' or '\u2029';

    private static readonly System.Buffers.SearchValues<char> s_special = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(i => (char)i), .. Enumerable.Range(0x7f, 0x21).Select(i => (char)i), '\u2028', '\u2029', '\\']);
}

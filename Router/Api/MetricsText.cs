using System.Globalization;
using System.Text;

namespace Weave.Router.Api;

/// <summary>
/// Renders metric families in the Prometheus text exposition format 0.0.4. Pure: names are
/// sanitised and label values escaped here, so whatever a counter or a peer calls itself cannot
/// break the page a scraper parses.
/// </summary>
public static class MetricsText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static string Render(IEnumerable<MetricFamily> families)
    {
        ArgumentNullException.ThrowIfNull(families);
        var text = new StringBuilder();
        foreach (MetricFamily family in families)
        {
            string name = SanitizeName(family.Name);
            text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(family.Type).Append('\n');
            foreach (MetricSample sample in family.Samples)
            {
                text.Append(name);
                if (sample.Labels.Count > 0)
                {
                    text.Append('{');
                    for (int i = 0; i < sample.Labels.Count; i++)
                    {
                        (string labelName, string value) = sample.Labels[i];
                        text.Append(i == 0 ? "" : ",").Append(SanitizeLabelName(labelName)).Append("=\"").Append(EscapeLabelValue(value)).Append('"');
                    }
                    text.Append('}');
                }
                text.Append(' ').Append(FormatValue(sample.Value)).Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>A metric name matching [a-zA-Z_:][a-zA-Z0-9_:]*: other characters become '_'.</summary>
    public static string SanitizeName(string name) => Sanitize(name, allowColon: true);

    /// <summary>
    /// <c>FramesFromBridge</c> → <c>frames_from_bridge</c>: counters are named in C#, metrics in
    /// Prometheus' snake case. A run of capitals stays one word (<c>TooBigICMP</c> → <c>too_big_icmp</c>).
    /// </summary>
    public static string SnakeCase(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = new StringBuilder(name.Length + 8);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool afterLower = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool endsRun = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((afterLower || endsRun) && text.Length > 0 && text[^1] != '_')
                {
                    text.Append('_');
                }
                text.Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }

    private static string SanitizeLabelName(string name) => Sanitize(name, allowColon: false);

    private static string Sanitize(string name, bool allowColon)
    {
        if (name.Length == 0)
        {
            return "_";
        }
        var text = new StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (i > 0 && char.IsAsciiDigit(c));
            text.Append(ok ? c : '_');
        }
        return text.ToString();
    }

    private static string EscapeLabelValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}

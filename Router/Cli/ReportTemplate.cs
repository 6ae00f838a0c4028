using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Weave.Router.Cli;

/// <summary>
/// <c>weave report -f FORMAT</c>: a small subset of Go's text/template, as Weave's <c>-f</c> took,
/// run here over the <c>/report</c> JSON. Text is copied; actions are <c>{{.}}</c>,
/// <c>{{.A.B}}</c> (a field of the current value), <c>{{$.A}}</c> (from the top), a quoted
/// string (<c>{{"\n"}}</c>), <c>{{len X}}</c>, <c>{{json X}}</c>, <c>{{range X}}…{{else}}…{{end}}</c>
/// (arrays in order, objects by sorted key, as Go ranges maps), <c>{{if X}}…{{else}}…{{end}}</c>
/// (false, 0, "", null, missing and empty are false), comments <c>{{/* … */}}</c>, and Go's
/// <c>{{-</c> / <c>-}}</c> that trim the white space beside an action. A missing field prints
/// <c>&lt;no value&gt;</c>, as Go does for a map. The template is parsed whole before anything is
/// asked of the router, and every error names its position: <see cref="CliException"/>.
/// </summary>
public sealed partial class ReportTemplate
{
    /// <summary>Limits that keep a hostile or mistaken template small to hold and to run.</summary>
    public const int MaxLength = 64 * 1024;
    public const int MaxDepth = 32;

    private const string NoValue = "<no value>";

    private readonly List<Node> _nodes;

    private ReportTemplate(List<Node> nodes) => _nodes = nodes;

    /// <exception cref="CliException">The template is malformed; the message says where and how.</exception>
    public static ReportTemplate Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            throw Error($"longer than {MaxLength} characters");
        }
        var parser = new Parser(Lex(text));
        List<Node> nodes = parser.Block(depth: 0, out Token? end);
        if (end is { } stray)
        {
            throw Error($"{{{{{stray.Keyword}}}}} at character {stray.Position + 1} closes nothing");
        }
        return new ReportTemplate(nodes);
    }

    /// <summary>The template run over <paramref name="json"/>, the report.</summary>
    /// <exception cref="CliException">The report is not JSON, or a value cannot be used as asked (a field of a string, range over a number).</exception>
    public string Render(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CliException($"the router's report is not JSON: {e.Message}");
        }
        using (document)
        {
            var output = new StringBuilder();
            Run(_nodes, new Value(document.RootElement, "."), document.RootElement, output);
            return output.ToString();
        }
    }

    private static CliException Error(string message) => new("report -f: " + message);

    // ---- running ----

    /// <summary>A value and the path it was reached by, for messages; <see cref="Element"/> null when missing.</summary>
    private readonly record struct Value(JsonElement? Element, string Path);

    private static void Run(List<Node> nodes, Value dot, JsonElement root, StringBuilder output)
    {
        foreach (Node node in nodes)
        {
            switch (node)
            {
                case TextNode text:
                    output.Append(text.Text);
                    break;
                case PrintNode print:
                    output.Append(Print(Evaluate(print.Expression, dot, root)));
                    break;
                case IfNode branch:
                    Run(IsTrue(Evaluate(branch.Expression, dot, root)) ? branch.Then : branch.Else, dot, root, output);
                    break;
                case RangeNode range:
                    List<Value> items = Items(Evaluate(range.Expression, dot, root), range.Position);
                    if (items.Count == 0)
                    {
                        Run(range.Else, dot, root, output);
                    }
                    foreach (Value item in items)
                    {
                        Run(range.Body, item, root, output);
                    }
                    break;
            }
        }
    }

    private static Value Evaluate(Expression expression, Value dot, JsonElement root) => expression switch
    {
        Literal literal => new Value(Constant("\"" + JsonEncodedText.Encode(literal.Text).ToString() + "\""), "a string"),
        FieldPath path => Follow(path.FromRoot ? new Value(root, "$") : dot, path),
        Call call => Apply(call, Evaluate(call.Argument, dot, root)),
        _ => throw new InvalidOperationException("unknown expression"),
    };

    private static Value Follow(Value start, FieldPath path)
    {
        Value current = start;
        foreach (string field in path.Fields)
        {
            string next = (current.Path is "." or "$" ? current.Path.TrimEnd('.') : current.Path) + "." + field;
            if (current.Element is not { } element || element.ValueKind == JsonValueKind.Null)
            {
                current = new Value(null, next);
                continue;
            }
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw Error($"can't evaluate field {field} at character {path.Position + 1}: {current.Path} is {Kind(element)}" +
                    (element.ValueKind == JsonValueKind.Array ? " (use {{range}} to go through it)" : ""));
            }
            current = new Value(element.TryGetProperty(field, out JsonElement found) ? found : null, next);
        }
        return current;
    }

    private static Value Apply(Call call, Value argument)
    {
        if (call.Function == "json")
        {
            string raw = argument.Element is { } e ? Compact(e) : "null";
            return new Value(Constant("\"" + JsonEncodedText.Encode(raw).ToString() + "\""), $"json {argument.Path}");
        }
        int length = argument.Element switch
        {
            { ValueKind: JsonValueKind.Array } a => a.GetArrayLength(),
            { ValueKind: JsonValueKind.Object } o => o.EnumerateObject().Count(),
            { ValueKind: JsonValueKind.String } s => s.GetString()!.Length,
            null => throw Error($"len of {argument.Path} at character {call.Position + 1}: it has no value"),
            { } other => throw Error($"len of {argument.Path} at character {call.Position + 1}: it is {Kind(other)}"),
        };
        return new Value(Constant(length.ToString(CultureInfo.InvariantCulture)), $"len {argument.Path}");
    }

    /// <summary>A value made here (a literal, a function's result), as JSON like the rest.</summary>
    private static JsonElement Constant(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static List<Value> Items(Value value, int position) => value.Element switch
    {
        null or { ValueKind: JsonValueKind.Null } => [],
        { ValueKind: JsonValueKind.Array } a => [.. a.EnumerateArray().Select((e, i) => new Value(e, $"{value.Path}[{i}]"))],
        { ValueKind: JsonValueKind.Object } o =>
            [.. o.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new Value(p.Value, $"{value.Path}.{p.Name}"))],
        { } other => throw Error($"range at character {position + 1} over {value.Path}, which is {Kind(other)}"),
    };

    private static bool IsTrue(Value value) => value.Element switch
    {
        null => false,
        { ValueKind: JsonValueKind.Null or JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.String } s => s.GetString()!.Length > 0,
        { ValueKind: JsonValueKind.Number } n => n.GetDouble() != 0,
        { ValueKind: JsonValueKind.Array } a => a.GetArrayLength() > 0,
        { ValueKind: JsonValueKind.Object } o => o.EnumerateObject().Any(),
        _ => true,
    };

    private static string Print(Value value) => value.Element switch
    {
        null => NoValue,
        { ValueKind: JsonValueKind.String } s => s.GetString()!,
        { ValueKind: JsonValueKind.Null } => "<nil>",
        { ValueKind: JsonValueKind.True } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        { } other => Compact(other),
    };

    /// <summary>JSON on one line: the report is indented, a printed part of it is not.</summary>
    private static string Compact(JsonElement element)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            element.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}

using System.Collections.Immutable;
using System.Text.Json;
using Weave.Npc.Api;

namespace Weave.Npc;

/// <summary>Label selectors and ports of a policy.</summary>
public static partial class NetworkPolicyParser
{
    /// <summary>Null when absent: a peer's absent selector differs from <c>{}</c>.</summary>
    private static bool TrySelector(LabelSelectorJson? json, string field, out LabelSelector? selector, out string problem)
    {
        selector = null;
        problem = "";
        if (json is null)
        {
            return true;
        }
        if (!FieldParsing.TryLabels(json.MatchLabels, field + ".matchLabels", out ImmutableSortedDictionary<string, string> matchLabels, out problem))
        {
            return false;
        }
        if (!FieldParsing.TryList(json.MatchExpressions, field + ".matchExpressions", ParseLimits.MaxMatchExpressions, "expressions", TryRequirement,
            out ImmutableArray<LabelRequirement> expressions, out problem))
        {
            return false;
        }
        selector = new LabelSelector(matchLabels, expressions);
        return true;
    }

    /// <summary>In and NotIn need values; Exists and DoesNotExist take none (as the API validates).</summary>
    private static bool TryRequirement(RequirementJson? json, string field, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LabelRequirement? requirement, out string problem)
    {
        requirement = null;
        if (json is null)
        {
            problem = $"{field}: null";
            return false;
        }
        if (!FieldParsing.TryLabelKey(json.Key, field + ".key", out problem))
        {
            return false;
        }
        SelectorOperator? op = json.Operator switch
        {
            "In" => SelectorOperator.In,
            "NotIn" => SelectorOperator.NotIn,
            "Exists" => SelectorOperator.Exists,
            "DoesNotExist" => SelectorOperator.DoesNotExist,
            _ => null,
        };
        if (op is not SelectorOperator known)
        {
            problem = $"{field}.operator: unknown operator {ObjectJson.Quote(json.Operator ?? "null")} (In, NotIn, Exists or DoesNotExist)";
            return false;
        }
        List<string> values = json.Values ?? [];
        bool needsValues = known is SelectorOperator.In or SelectorOperator.NotIn;
        if (needsValues ? values.Count == 0 : values.Count > 0)
        {
            problem = $"{field}.values: {json.Operator} {(needsValues ? "needs values" : "takes no values")}";
            return false;
        }
        if (values.Count > ParseLimits.MaxValuesPerExpression)
        {
            problem = $"{field}.values: {values.Count} values, over the limit of {ParseLimits.MaxValuesPerExpression}";
            return false;
        }
        if (values.Any(v => v is null || v.Length > ParseLimits.MaxLabelValueLength))
        {
            problem = $"{field}.values: null or longer than {ParseLimits.MaxLabelValueLength} characters";
            return false;
        }
        requirement = new LabelRequirement(json.Key!, known, [.. values]);
        return true;
    }

    /// <summary>The port is an IntOrString: a number in 1-65535 or an IANA service name; an endPort makes a numbered port a range.</summary>
    private static bool TryPort(PortJson? json, string field, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PolicyPort? port, out string problem)
    {
        port = null;
        if (json is null)
        {
            problem = $"{field}: null";
            return false;
        }
        if (!FieldParsing.TryProtocol(json.Protocol, field + ".protocol", out PortProtocol protocol, out problem))
        {
            return false;
        }
        int? number = null;
        string? name = null;
        switch (json.Port.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null:
                break;
            case JsonValueKind.Number when json.Port.TryGetInt64(out long value):
                if (!FieldParsing.TryPortNumber(value, field + ".port", out problem))
                {
                    return false;
                }
                number = (int)value;
                break;
            case JsonValueKind.String:
                name = StringOrNull(json.Port);
                if (name is null)
                {
                    problem = $"{field}.port: not valid UTF-8";
                    return false;
                }
                if (!FieldParsing.TryPortName(name, field + ".port", out problem))
                {
                    return false;
                }
                break;
            default:
                problem = $"{field}.port: a {json.Port.ValueKind}, not a port number or name";
                return false;
        }
        if (json.EndPort is long end)
        {
            problem = number is null
                ? $"{field}.endPort: needs a numbered port ({(name is null ? "no port given" : $"port {name} is named")})"
                : !FieldParsing.TryPortNumber(end, field + ".endPort", out string range) ? range
                : end < number ? $"{field}.endPort: {end} is below port {number}"
                : "";
            if (problem.Length > 0)
            {
                return false;
            }
        }
        port = new PolicyPort(protocol, number, name, (int?)json.EndPort);
        return true;
    }

    /// <summary>A JsonElement's string, or null when its bytes are not valid UTF-8 (the document checks that only when asked).</summary>
    private static string? StringOrNull(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}

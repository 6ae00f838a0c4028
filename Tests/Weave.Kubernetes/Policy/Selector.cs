namespace Weave.Kubernetes.Policy;

/// <summary>
/// A label selector as a scenario writes it: matchLabels and matchExpressions. It is the suite's
/// own description, rendered to the API's JSON by <see cref="PolicyManifest"/> and decided by
/// <see cref="SpecModel"/>; nothing of Weave.Npc reads it, so the suite checks the controller
/// against an independent reading of the specification.
/// </summary>
internal sealed record Selector(IReadOnlyDictionary<string, string> MatchLabels, IReadOnlyList<Requirement> Expressions)
{
    /// <summary><c>{}</c>: selects everything.</summary>
    public static Selector All { get; } = new(new Dictionary<string, string>(), []);

    public static Selector Labels(string key, string value) => new(new Dictionary<string, string> { [key] = value }, []);

    public static Selector Where(params Requirement[] expressions) => new(new Dictionary<string, string>(), expressions);

    public override string ToString() =>
        MatchLabels.Count == 0 && Expressions.Count == 0
            ? "{}"
            : string.Join(",", MatchLabels.Select(l => $"{l.Key}={l.Value}").Concat(Expressions.Select(e => e.ToString())));
}

/// <summary>One matchExpressions entry: <c>In</c>, <c>NotIn</c>, <c>Exists</c> or <c>DoesNotExist</c>.</summary>
internal sealed record Requirement(string Key, string Operator, IReadOnlyList<string> Values)
{
    public static Requirement In(string key, params string[] values) => new(key, "In", values);

    public static Requirement NotIn(string key, params string[] values) => new(key, "NotIn", values);

    public static Requirement Exists(string key) => new(key, "Exists", []);

    public static Requirement DoesNotExist(string key) => new(key, "DoesNotExist", []);

    public override string ToString() => $"{Key} {Operator} ({string.Join(",", Values)})";
}

using System.Collections.Immutable;

namespace Weave.Npc;

/// <summary>
/// Value equality for the model's collections. A record compares an ImmutableArray or a
/// dictionary by reference, so the records holding them compare their contents through these.
/// </summary>
internal static class Structural
{
    public static bool Equal<T>(ImmutableArray<T> a, ImmutableArray<T> b) => a.AsSpan().SequenceEqual(b.AsSpan(), EqualityComparer<T>.Default);

    public static bool Equal(ImmutableSortedDictionary<string, string> a, ImmutableSortedDictionary<string, string> b) =>
        a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out string? value) && string.Equals(value, pair.Value, StringComparison.Ordinal));

    public static int Hash<T>(ImmutableArray<T> items)
    {
        var hash = new HashCode();
        foreach (T item in items)
        {
            hash.Add(item);
        }
        return hash.ToHashCode();
    }

    public static int Hash(ImmutableSortedDictionary<string, string> labels)
    {
        var hash = new HashCode();
        foreach ((string key, string value) in labels)
        {
            hash.Add(key);
            hash.Add(value);
        }
        return hash.ToHashCode();
    }
}

using System.Collections.Immutable;

namespace Weave.Npc;

/// <summary>Label maps are sorted by key (ordinal) so that what we print and compare is deterministic.</summary>
public static class Labels
{
    public static ImmutableSortedDictionary<string, string> None { get; } = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);

    public static ImmutableSortedDictionary<string, string> Of(IEnumerable<KeyValuePair<string, string>> pairs) =>
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, pairs);
}

using Weave.Linux.Nftables;
using Weave.Npc.Enforcement;

namespace Weave.Tests.PolicyControl;

/// <summary>
/// nft as the controller uses it, in memory: the scripts applied in order, whether table
/// <c>inet weave-npc</c> exists (a whole render creates it; <see cref="RemoveTable"/> is an
/// operator deleting it), counters to list, and failures on demand.
/// </summary>
internal sealed class FakeNftables : INftables
{
    private readonly Lock _gate = new();
    private readonly List<string> _applied = [];

    public bool TablePresent { get; set; }

    /// <summary>The next this-many applies fail as nft would refuse a script.</summary>
    public int FailNext { get; set; }

    public string Counters { get; set; } = "";

    public IReadOnlyList<string> Applied
    {
        get { lock (_gate) { return [.. _applied]; } }
    }

    public void Apply(string script)
    {
        lock (_gate)
        {
            if (FailNext > 0)
            {
                FailNext--;
                throw new NftablesException("nft refused the ruleset: Error: Could not process rule: No such file or directory");
            }
            _applied.Add(script);
            TablePresent |= script.StartsWith($"add table {NftRuleset.Family} {NftRuleset.Table}", StringComparison.Ordinal);
        }
    }

    public void RemoveTable() => TablePresent = false;

    public string? List(string what, bool withHandles = false) => what switch
    {
        "tables" => TablePresent ? $"table ip weave\ntable {NftRuleset.Family} {NftRuleset.Table}\n" : "table ip weave\n",
        _ when what.StartsWith("counters", StringComparison.Ordinal) => TablePresent ? Counters : null,
        _ => null,
    };

    /// <summary>Whether a script replaces the table whole (as after a start) rather than changing it.</summary>
    public static bool IsWhole(string script) => script.Contains($"delete table {NftRuleset.Family} {NftRuleset.Table}", StringComparison.Ordinal);
}

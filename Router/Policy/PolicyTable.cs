using Weave.Linux.Nftables;
using Weave.Npc.Enforcement;

namespace Weave.Router.Policy;

/// <summary>
/// Table <c>inet weave-npc</c> as this controller last wrote it. The first write after a start
/// replaces whatever table a previous controller left in one transaction, so enforcement never
/// lapses across a restart; later writes change only what differs (one transaction each), so the
/// drop counters survive. After a failed write, or when someone removed the table, the next write
/// is whole again.
/// </summary>
internal sealed class PolicyTable
{
    private readonly INftables _nft;

    public PolicyTable(INftables nft) => _nft = nft;

    /// <summary>What the kernel holds, as far as we know; null before the first write or after a failure.</summary>
    public EnforcementPlan? Applied { get; private set; }

    /// <summary>Makes the table <paramref name="wanted"/>; returns the bytes of nft script that took, 0 when the table already was.</summary>
    /// <exception cref="NftablesException">nft refused: the table is as before, and the next call writes it whole.</exception>
    public int Write(EnforcementPlan wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        string script = Applied is null ? NftRuleset.Render(wanted) : NftChanges.Render(Applied, wanted);
        if (script.Length == 0)
        {
            return 0;
        }
        Applied = null;
        _nft.Apply(script);
        Applied = wanted;
        return script.Length;
    }

    /// <summary>Whether the table is still in the kernel (an operator or a reset may have removed it).</summary>
    public bool IsPresent()
    {
        string? tables = _nft.List("tables");
        return tables is not null && tables.Split('\n').Any(line => line.Trim() == $"table {NftRuleset.Family} {NftRuleset.Table}");
    }

    /// <summary>Forgets what was written, so the next <see cref="Write"/> replaces the table whole.</summary>
    public void Forget() => Applied = null;

    /// <summary>The drop counters' packet counts by chain name (<c>nft list counters</c>); empty when there is no table.</summary>
    public IReadOnlyDictionary<string, long> ReadCounters() =>
        DropCounters.Parse(_nft.List($"counters table {NftRuleset.Family} {NftRuleset.Table}") ?? "");
}

using System.Net;
using Microsoft.Extensions.Logging;
using Weave.Linux.Nftables;

namespace Weave.Router.Netfilter;

/// <summary>
/// Keeps the host's netfilter as <see cref="HostRules"/> wants it. Each <see cref="Reconcile"/>
/// replaces table <c>ip weave</c> when what it should hold changed (this node's ranges), or when
/// someone else changed or removed it (a firewall manager flushing the ruleset: it is restored).
/// <para>
/// One exception to "our own table only": an accept in our table cannot override a drop in
/// another table's chain (each base chain decides on its own), so where the host's iptables
/// FORWARD policy is drop (Docker's default), pods' traffic would die there. Then, and only then,
/// two rules accepting traffic in and out of the bridge are appended to that chain, marked with
/// <see cref="ForwardComment"/> so <see cref="Remove"/> takes exactly them away again.
/// </para>
/// </summary>
public sealed class HostNetfilter
{
    public const string ForwardComment = "weave: pod traffic through a FORWARD chain whose policy is drop";

    private const string ForwardChain = "chain ip filter FORWARD";

    private readonly INftables _nft;
    private readonly HostRules _rules;
    private readonly ILogger _log;
    private string? _applied;
    private string? _listing;

    public HostNetfilter(INftables nft, HostRules rules, ILogger log)
    {
        _nft = nft;
        _rules = rules;
        _log = log;
    }

    /// <summary>How many times the table was found changed by someone else and restored.</summary>
    public int Restorations { get; private set; }

    /// <summary>Brings the host in line; <paramref name="localRanges"/> are this node's ranges of the pod range,
    /// <paramref name="peeredRanges"/> the ranges of the clusters we peer with.</summary>
    /// <exception cref="NftablesException">nft refused or could not run: the caller logs and tries again later.</exception>
    public void Reconcile(IReadOnlyList<(IPAddress First, IPAddress Last)> localRanges, IReadOnlyList<IPNetwork>? peeredRanges = null)
    {
        string script = _rules.Render(localRanges, peeredRanges);
        if (script != _applied)
        {
            Apply(script);
            RouterLog.NetfilterApplied(_log, HostRules.Family, HostRules.Table, localRanges.Count, peeredRanges?.Count ?? 0);
        }
        else if (_nft.List($"table {HostRules.Family} {HostRules.Table}") != _listing)
        {
            Apply(script);
            Restorations++;
            RouterLog.NetfilterRestored(_log, HostRules.Family, HostRules.Table);
        }
        AcceptThroughDroppingForward();
    }

    private void Apply(string script)
    {
        _nft.Apply(script);
        _applied = script;
        _listing = _nft.List($"table {HostRules.Family} {HostRules.Table}");
    }

    private void AcceptThroughDroppingForward()
    {
        string? chain = _nft.List(ForwardChain);
        if (chain is null || !chain.Contains("policy drop;", StringComparison.Ordinal) || chain.Contains(ForwardComment, StringComparison.Ordinal))
        {
            return;
        }
        _nft.Apply(
            $"add rule ip filter FORWARD iifname \"{_rules.Bridge}\" accept comment \"{ForwardComment}\"\n" +
            $"add rule ip filter FORWARD oifname \"{_rules.Bridge}\" accept comment \"{ForwardComment}\"\n");
        RouterLog.ForwardDropAccepted(_log, _rules.Bridge);
    }

    /// <summary>Removes table <c>ip weave</c> and our two FORWARD rules, if there; returns what was removed.</summary>
    public static IReadOnlyList<string> Remove(INftables nft)
    {
        ArgumentNullException.ThrowIfNull(nft);
        var removed = new List<string>();
        if (nft.List($"table {HostRules.Family} {HostRules.Table}") is not null)
        {
            nft.Apply($"delete table {HostRules.Family} {HostRules.Table}\n");
            removed.Add($"nftables table {HostRules.Family} {HostRules.Table}");
        }
        if (nft.List(ForwardChain, withHandles: true) is { } chain)
        {
            string[] handles = [.. chain.Split('\n')
                .Where(line => line.Contains(ForwardComment, StringComparison.Ordinal) && line.Contains("# handle ", StringComparison.Ordinal))
                .Select(line => line[(line.LastIndexOf("# handle ", StringComparison.Ordinal) + "# handle ".Length)..].Trim())];
            if (handles.Length > 0)
            {
                nft.Apply(string.Concat(handles.Select(h => $"delete rule ip filter FORWARD handle {h}\n")));
                removed.Add($"{handles.Length} rules of iptables' FORWARD chain");
            }
        }
        return removed;
    }
}

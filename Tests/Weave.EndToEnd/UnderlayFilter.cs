using Weave.Lab;

namespace Weave.EndToEnd;

/// <summary>
/// nftables rules in a host's namespace, on its underlay: drop UDP to and from one other host
/// (the control connection over TCP stays up, so only the data path's heartbeats can tell), or
/// drop a share of everything at random (<c>numgen</c>, as this kernel has no netem). The tables
/// go with the namespace when the lab is removed.
/// </summary>
internal static class UnderlayFilter
{
    private const string BlockTable = "wvblock";
    private const string LossTable = "wvloss";

    /// <summary>Drops every UDP datagram between <paramref name="host"/> and <paramref name="other"/>, both ways.</summary>
    public static void BlockUdp(LabHost host, LabHost other)
    {
        string address = other.UnderlayAddress.ToString();
        AddInputOutputChains(host, BlockTable);
        Nft(host, "add", "rule", "inet", BlockTable, "in", "ip", "saddr", address, "meta", "l4proto", "udp", "drop");
        Nft(host, "add", "rule", "inet", BlockTable, "out", "ip", "daddr", address, "meta", "l4proto", "udp", "drop");
    }

    public static void UnblockUdp(LabHost host) => Nft(host, "delete", "table", "inet", BlockTable);

    /// <summary>Drops one in <paramref name="oneIn"/> of the packets <paramref name="host"/> sends or receives on eth0, at random.</summary>
    public static void RandomLoss(LabHost host, int oneIn)
    {
        string modulus = oneIn.ToString(System.Globalization.CultureInfo.InvariantCulture);
        AddInputOutputChains(host, LossTable);
        Nft(host, "add", "rule", "inet", LossTable, "in", "iifname", "eth0", "numgen", "random", "mod", modulus, "==", "0", "counter", "drop");
        Nft(host, "add", "rule", "inet", LossTable, "out", "oifname", "eth0", "numgen", "random", "mod", modulus, "==", "0", "counter", "drop");
    }

    /// <summary>The loss rules with their counters (<c>nft list table</c>).</summary>
    public static string ListLoss(LabHost host) => host.Exec("nft", "list", "table", "inet", LossTable).EnsureSuccess().Stdout;

    private static void AddInputOutputChains(LabHost host, string table)
    {
        Nft(host, "add", "table", "inet", table);
        Nft(host, "add", "chain", "inet", table, "in", "{ type filter hook input priority 0 ; }");
        Nft(host, "add", "chain", "inet", table, "out", "{ type filter hook output priority 0 ; }");
    }

    private static void Nft(LabHost host, params string[] args) => host.Exec(["nft", .. args]).EnsureSuccess();
}

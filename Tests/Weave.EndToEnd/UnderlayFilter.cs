using Weave.Lab;

namespace Weave.EndToEnd;

/// <summary>
/// nftables rules in a host's namespace, on its underlay: drop UDP to and from one other host
/// (the control connection over TCP stays up, so only the data path's heartbeats can tell), drop
/// everything to and from some hosts (a partition), or drop a share of everything at random
/// (<c>numgen</c>, as this kernel has no netem). The tables go with the namespace when the lab is
/// removed.
/// </summary>
internal static class UnderlayFilter
{
    private const string BlockTable = "wvblock";
    private const string LossTable = "wvloss";
    private const string PartitionTable = "wvpartition";

    /// <summary>Drops every UDP datagram between <paramref name="host"/> and <paramref name="other"/>, both ways.</summary>
    public static void BlockUdp(LabHost host, LabHost other)
    {
        string address = other.UnderlayAddress.ToString();
        AddInputOutputChains(host, BlockTable);
        Nft(host, "add", "rule", "inet", BlockTable, "in", "ip", "saddr", address, "meta", "l4proto", "udp", "drop");
        Nft(host, "add", "rule", "inet", BlockTable, "out", "ip", "daddr", address, "meta", "l4proto", "udp", "drop");
    }

    public static void UnblockUdp(LabHost host) => Nft(host, "delete", "table", "inet", BlockTable);

    /// <summary>
    /// Drops every packet between <paramref name="host"/> and <paramref name="others"/>, both ways:
    /// TCP and UDP alike, so the mesh's connections go silent rather than being reset, as behind a
    /// failed link. Other hosts stay reachable.
    /// </summary>
    public static void Partition(LabHost host, IEnumerable<LabHost> others)
    {
        string addresses = "{ " + string.Join(", ", others.Select(o => o.UnderlayAddress)) + " }";
        AddInputOutputChains(host, PartitionTable);
        Nft(host, "add", "rule", "inet", PartitionTable, "in", "ip", "saddr", addresses, "counter", "drop");
        Nft(host, "add", "rule", "inet", PartitionTable, "out", "ip", "daddr", addresses, "counter", "drop");
    }

    /// <summary>The partition's rules with their counters (<c>nft list table</c>).</summary>
    public static string ListPartition(LabHost host) => host.Exec("nft", "list", "table", "inet", PartitionTable).EnsureSuccess().Stdout;

    public static void Heal(LabHost host) => Nft(host, "delete", "table", "inet", PartitionTable);

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

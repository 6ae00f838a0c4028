namespace Weave.Lab.Soak;

/// <summary>
/// Cuts the underlay between two hosts: nftables in the first host's namespace drops every packet
/// to and from the second (TCP and UDP alike, so the control connection breaks too). The table
/// goes with the namespace if the lab is removed first.
/// </summary>
public static class LinkCut
{
    private const string Table = "wvsoakcut";

    public static void Cut(LabHost host, LabHost other)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(other);
        string address = other.UnderlayAddress.ToString();
        Nft(host, "add", "table", "inet", Table);
        Nft(host, "add", "chain", "inet", Table, "in", "{ type filter hook input priority 0 ; }");
        Nft(host, "add", "chain", "inet", Table, "out", "{ type filter hook output priority 0 ; }");
        Nft(host, "add", "rule", "inet", Table, "in", "ip", "saddr", address, "drop");
        Nft(host, "add", "rule", "inet", Table, "out", "ip", "daddr", address, "drop");
    }

    public static void Heal(LabHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        Nft(host, "delete", "table", "inet", Table);
    }

    private static void Nft(LabHost host, params string[] args) => host.Exec(["nft", .. args]).EnsureSuccess();
}

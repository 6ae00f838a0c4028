using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Weave.Linux.Nftables;

namespace Weave.Router.Netfilter;

/// <summary>
/// Table <c>ip weave-fastdp</c>: UDP to the data port only from the neighbours that send us
/// plaintext. Our userspace receiver drops a VXLAN datagram from an address it does not know, but
/// the kernel's VXLAN device (the fast path) takes one from anyone and puts its frame on the
/// bridge; without this table anyone who can reach the port could inject frames into the pod
/// network. The drop sits in an input chain ahead of the usual filter priority, so the outer
/// datagram dies before it reaches the device's socket.
/// <para>
/// <see cref="Install"/> writes the table whole (delete and recreate in one transaction, so a
/// restart starts from exactly this and repeating it changes nothing); <see cref="SetPeers"/>
/// replaces the set's content in one transaction. Both throw <see cref="NftablesException"/>
/// when nft refuses or cannot run: the caller logs and tries again, and <see cref="Install"/>
/// brings back a table someone removed, with the peers last set.
/// </para>
/// </summary>
public sealed class VxlanPortFilter
{
    public const string Family = "ip";
    public const string Table = "weave-fastdp";
    public const string PeerSet = "clear_peers";

    /// <summary>The comment on the table: says who owns it, for an operator listing the ruleset.</summary>
    public const string Comment = "weave router: kernel VXLAN port only from plaintext peers; removed by weave reset";

    private readonly INftables _nft;
    private readonly int _port;
    private readonly Lock _gate = new();
    private IPAddress[] _peers = [];

    /// <param name="nft">The host's nftables.</param>
    /// <param name="port">The data port the kernel's VXLAN device listens on (the mesh port + 1, 6784 by default).</param>
    public VxlanPortFilter(INftables nft, int port)
    {
        ArgumentNullException.ThrowIfNull(nft);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        _nft = nft;
        _port = port;
    }

    /// <summary>The addresses admitted now, in the order nft is given them.</summary>
    public IReadOnlyList<IPAddress> Peers
    {
        get { lock (_gate) { return _peers; } }
    }

    /// <summary>Writes the table whole: the set with the peers last given (none at first) and the dropping chain.</summary>
    /// <exception cref="NftablesException">nft refused the script or could not run.</exception>
    public void Install()
    {
        lock (_gate)
        {
            _nft.Apply(Render(_port, _peers));
        }
    }

    /// <summary>Writes the table whole, admitting <paramref name="peers"/> from the start: a router
    /// restarting gives the hosts its device still sends to, so that their datagrams are never
    /// refused in between.</summary>
    /// <exception cref="ArgumentException">An address is not IPv4.</exception>
    /// <exception cref="NftablesException">nft refused the script or could not run.</exception>
    public void Install(IReadOnlyCollection<IPAddress> peers)
    {
        IPAddress[] wanted = Normalize(peers);
        lock (_gate)
        {
            _nft.Apply(Render(_port, wanted));
            _peers = wanted;
        }
    }

    /// <summary>Makes <paramref name="peers"/> the only addresses admitted to the data port, in one transaction.</summary>
    /// <exception cref="ArgumentException">An address is not IPv4 (the table is <c>ip</c>; IPv6 peers do not use the fast path).</exception>
    /// <exception cref="NftablesException">nft refused the script (the table is not installed) or could not run.</exception>
    public void SetPeers(IReadOnlyCollection<IPAddress> peers)
    {
        IPAddress[] wanted = Normalize(peers);
        var s = new StringBuilder();
        s.Append("flush set ").Append(Family).Append(' ').Append(Table).Append(' ').Append(PeerSet).Append('\n');
        if (wanted.Length > 0)
        {
            s.Append("add element ").Append(Family).Append(' ').Append(Table).Append(' ').Append(PeerSet)
                .Append(" { ").AppendJoin(", ", wanted.Select(a => a.ToString())).Append(" }\n");
        }
        lock (_gate)
        {
            _nft.Apply(s.ToString());
            _peers = wanted;
        }
    }

    /// <summary>
    /// The script that replaces the table: creating it first makes the delete valid when it does
    /// not exist yet, and nft applies the whole script as one transaction.
    /// </summary>
    public static string Render(int port, IReadOnlyCollection<IPAddress> peers)
    {
        IPAddress[] admitted = Normalize(peers);
        var s = new StringBuilder();
        s.Append("add table ").Append(Family).Append(' ').Append(Table).Append('\n');
        s.Append("delete table ").Append(Family).Append(' ').Append(Table).Append('\n');
        s.Append("table ").Append(Family).Append(' ').Append(Table).Append(" {\n");
        s.Append("\tcomment \"").Append(Comment).Append("\"\n");
        s.Append("\tset ").Append(PeerSet).Append(" {\n\t\ttype ipv4_addr\n");
        if (admitted.Length > 0)
        {
            s.Append("\t\telements = { ").AppendJoin(", ", admitted.Select(a => a.ToString())).Append(" }\n");
        }
        s.Append("\t}\n");
        s.Append("\tchain input {\n\t\ttype filter hook input priority filter - 10; policy accept;\n");
        s.Append("\t\tudp dport ").Append(port.ToString(CultureInfo.InvariantCulture))
            .Append(" ip saddr != @").Append(PeerSet).Append(" counter drop\n");
        s.Append("\t}\n");
        s.Append("}\n");
        return s.ToString();
    }

    /// <summary>Removes this filter's table if there (the fast path could not start); returns what was removed.</summary>
    /// <exception cref="NftablesException">nft refused or could not run.</exception>
    public IReadOnlyList<string> RemoveTable() => Remove(_nft);

    /// <summary>Removes table <c>ip weave-fastdp</c> if there; returns what was removed.</summary>
    /// <exception cref="NftablesException">nft refused or could not run.</exception>
    public static IReadOnlyList<string> Remove(INftables nft)
    {
        ArgumentNullException.ThrowIfNull(nft);
        if (nft.List($"table {Family} {Table}") is null)
        {
            return [];
        }
        nft.Apply($"delete table {Family} {Table}\n");
        return [$"nftables table {Family} {Table}"];
    }

    /// <summary>The addresses once each, in a stable order, so equal sets give equal scripts.</summary>
    private static IPAddress[] Normalize(IReadOnlyCollection<IPAddress> peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        foreach (IPAddress address in peers)
        {
            if (address is null || address.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException($"the fast path's peer filter takes IPv4 addresses only, not '{address}'", nameof(peers));
            }
        }
        return [.. peers.Distinct().OrderBy(a => BinaryPrimitives.ReadUInt32BigEndian(a.GetAddressBytes()))];
    }
}

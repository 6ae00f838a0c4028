using System.Net;
using System.Net.Sockets;
using System.Text;
using Weave.Lab;
using Weave.Linux.Nftables;
using Weave.Router.Netfilter;
using Xunit;

namespace Weave.Tests.Netfilter;

/// <summary>
/// The fast path's data-port filter against the real nft: two namespaces joined by a veth pair,
/// the filter and a UDP socket on the data port in one, two senders (a listed address and an
/// unlisted one) in the other. Deleting the namespaces removes the links and the table.
/// </summary>
public sealed class VxlanPortFilterRootTests
{
    private const int Port = 46784;
    private static readonly IPAddress s_receiver = IPAddress.Parse("10.99.0.1");
    private static readonly IPAddress s_listed = IPAddress.Parse("10.99.0.2");
    private static readonly IPAddress s_unlisted = IPAddress.Parse("10.99.0.3");

    private static NftCommand Nft()
    {
        Assert.True(NftCommand.TryFind(out NftCommand? nft), "nft is not installed (test.sh installs nftables)");
        return nft!;
    }

    [RootFact]
    public void OnlyListedPeers_ReachTheDataPort_UntilTheTableIsRemoved()
    {
        RootFactAttribute.Require();
        using var receiving = new TempNetns();
        using var sending = new TempNetns();
        TempNetns.Ip("-n", receiving.Name, "link", "add", "wvf0", "type", "veth", "peer", "name", "wvf1", "netns", sending.Name);
        TempNetns.Ip("-n", receiving.Name, "addr", "add", $"{s_receiver}/24", "dev", "wvf0");
        TempNetns.Ip("-n", receiving.Name, "link", "set", "wvf0", "up");
        TempNetns.Ip("-n", sending.Name, "addr", "add", $"{s_listed}/24", "dev", "wvf1");
        TempNetns.Ip("-n", sending.Name, "addr", "add", $"{s_unlisted}/24", "dev", "wvf1");
        TempNetns.Ip("-n", sending.Name, "link", "set", "wvf1", "up");

        var nft = new NetnsNftables(receiving.Name, Nft());
        var filter = new VxlanPortFilter(nft, Port);
        filter.Install();
        filter.SetPeers([s_listed]);
        filter.Install(); // idempotent: the peers stay
        Assert.Contains($"elements = {{ {s_listed} }}", nft.List($"table ip {VxlanPortFilter.Table}"), StringComparison.Ordinal);

        using Socket receiver = receiving.Run(() => Bound(IPAddress.Any, Port));
        receiver.ReceiveTimeout = 3000;
        using Socket fromListed = sending.Run(() => Bound(s_listed, 0));
        using Socket fromUnlisted = sending.Run(() => Bound(s_unlisted, 0));
        var target = new IPEndPoint(s_receiver, Port);

        // The unlisted one goes first: were it let through, it would be the first to arrive.
        fromUnlisted.SendTo("unlisted"u8, target);
        fromListed.SendTo("listed"u8, target);
        Assert.Equal(("listed", s_listed), Receive(receiver));
        receiver.ReceiveTimeout = 300;
        Assert.Throws<SocketException>(() => Receive(receiver));
        Assert.Contains("counter packets 1 ", nft.List($"table ip {VxlanPortFilter.Table}"), StringComparison.Ordinal);

        Assert.Equal(["nftables table ip weave-fastdp"], VxlanPortFilter.Remove(nft));
        Assert.Null(nft.List($"table ip {VxlanPortFilter.Table}"));
        fromUnlisted.SendTo("unlisted"u8, target);
        receiver.ReceiveTimeout = 3000;
        Assert.Equal(("unlisted", s_unlisted), Receive(receiver));
        Assert.Empty(VxlanPortFilter.Remove(nft));
    }

    private static Socket Bound(IPAddress address, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, port));
        return socket;
    }

    private static (string Text, IPAddress From) Receive(Socket socket)
    {
        byte[] buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int length = socket.ReceiveFrom(buffer, ref from);
        return (Encoding.ASCII.GetString(buffer, 0, length), ((IPEndPoint)from).Address);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Weave.Kube;
using Weave.Kube.Api;
using Weave.Lab;
using Weave.Linux;
using Weave.Linux.Nftables;
using Weave.Npc;
using Weave.Npc.Enforcement;
using Weave.Router.Policy;
using Weave.Tests.Kube;
using Weave.Tests.Npc;
using Xunit;

namespace Weave.Tests.PolicyControl;

/// <summary>
/// The controller with the real nft and kernel, in namespaces of its own: two pods on a bridge
/// with br_netfilter, a policy admitting one port, the denied connection logged through NFLOG with
/// both pods and the policy named, and counted; a restarted controller leaves the rules in force
/// until it has the whole picture; a deleted policy opens the port again.
/// </summary>
public sealed class PolicyControllerRootTests
{
    private const ushort Group = 6799;

    private static readonly Pod Client = Cluster.Pod("x", "client", "10.32.0.2", "app=client");
    private static readonly Pod Server = Cluster.Pod("x", "server", "10.32.0.3", "app=server");
    private static readonly NetworkPolicy Port80Only = Cluster.Policy("x", "server-80-only", Cluster.Sel("app=server"),
        ingress: [Cluster.Rule([PolicyPeer.Pods(Cluster.Sel("app=client"), null)], PolicyPort.Numbered(PortProtocol.Tcp, 80, null))]);

    [RootFact]
    public async Task Controller_OnTheKernel_EnforcesLogsCountsAndKeepsRulesAcrossARestart()
    {
        RootFactAttribute.Require();
        Assert.True(NftCommand.TryFind(out NftCommand? realNft), "nft is not installed (test.sh installs nftables)");
        var namespaces = new List<TempNetns>();
        var sockets = new List<Socket>();
        using var stop = new CancellationTokenSource();
        try
        {
            var host = new TempNetns("wvnpcc");
            namespaces.Add(host);
            TempNetns.Ip("-n", host.Name, "link", "add", "weave", "type", "bridge");
            TempNetns.Ip("-n", host.Name, "link", "set", "weave", "up");
            var podNs = new Dictionary<Pod, TempNetns>();
            int v = 0;
            foreach (Pod pod in (Pod[])[Client, Server])
            {
                var ns = new TempNetns("wvpod");
                namespaces.Add(ns);
                podNs[pod] = ns;
                TempNetns.Ip("-n", host.Name, "link", "add", $"vp{v}", "type", "veth", "peer", "name", "eth0", "netns", ns.Name);
                TempNetns.Ip("-n", host.Name, "link", "set", $"vp{v++}", "master", "weave", "up");
                TempNetns.Ip("-n", ns.Name, "addr", "add", $"{pod.Addresses[0]}/24", "dev", "eth0");
                TempNetns.Ip("-n", ns.Name, "link", "set", "eth0", "up");
            }
            foreach (int port in (int[])[80, 81])
            {
                sockets.Add(podNs[Server].Run(() =>
                {
                    var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    listener.Bind(new IPEndPoint(IPAddress.Any, port));
                    listener.Listen(64);
                    return listener;
                }));
            }
            var nft = new NetnsNftables(host.Name, realNft!);
            var log = new ListLogger();
            var updates = Channel.CreateUnbounded<ResourceUpdate>();
            var controller = new PolicyController(EnforcementClusters.Node, new PolicyTable(nft), updates.Reader,
                new BridgeNetfilter(log), TimeProvider.System, log, new DropLog(Group, 100));
            // The bridge's switch is per namespace: the controller turns it on in its own (the host's).
            host.Run(() => controller.Check());
            host.Run(() => new DropLogger(Group, () => controller.Snapshot, log).Start(stop.Token));
            Feed(updates, Port80Only);
            controller.Step();
            Assert.Null(controller.Status.LastError);

            Assert.True(await ConnectsAsync(podNs[Client], Server, 80));
            Assert.False(await ConnectsAsync(podNs[Client], Server, 81));
            Assert.True(Eventually.True(() => log.Count("Denied: TCP x/client (10.32.0.2):") > 0, TimeSpan.FromSeconds(5)),
                "the drop is logged: " + string.Join(" | ", log.Lines.Select(l => l.Message)));
            string line = log.Lines.First(l => l.Message.StartsWith("Denied:", StringComparison.Ordinal)).Message;
            Assert.EndsWith("-> x/server (10.32.0.3):81 dropped at ingress of x/server, isolated by x/server-80-only", line, StringComparison.Ordinal);
            controller.CountDrops();
            Assert.Contains(controller.Drops.ByPolicy(), d => d.Namespace == "x" && d.Policy == "server-80-only" && d.Packets >= 1);

            // A restart: a new controller on the same kernel. Until it has listed all three kinds it
            // writes nothing, so the old rules stay in force.
            var restartedUpdates = Channel.CreateUnbounded<ResourceUpdate>();
            var restarted = new PolicyController(EnforcementClusters.Node, new PolicyTable(nft), restartedUpdates.Reader, null, TimeProvider.System, log, new DropLog(Group, 100));
            restartedUpdates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.Namespaces, [Element(ApiJsonWriter.Write(Cluster.Ns("x")))]));
            restarted.Step();
            Assert.False(await ConnectsAsync(podNs[Client], Server, 81));
            restartedUpdates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.Pods, [Element(ApiJsonWriter.Write(Client)), Element(ApiJsonWriter.Write(Server))]));
            restarted.Step();
            Assert.False(await ConnectsAsync(podNs[Client], Server, 81));
            Assert.True(await ConnectsAsync(podNs[Client], Server, 80));
            restartedUpdates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.NetworkPolicies, [Element(ApiJsonWriter.Write(Port80Only))]));
            restarted.Step();
            Assert.False(await ConnectsAsync(podNs[Client], Server, 81));

            // The policy deleted: the port opens, in an incremental change.
            restartedUpdates.Writer.TryWrite(ResourceUpdate.OfChange(KubeResource.NetworkPolicies,
                new KubeObjectEvent(KubeEventKind.Deleted, Element(ApiJsonWriter.Write(Port80Only)), "2")));
            restarted.Step();
            Assert.Null(restarted.Status.LastError);
            Assert.Equal(2, restarted.Status.Applies);
            Assert.True(await ConnectsAsync(podNs[Client], Server, 81));
        }
        finally
        {
            await stop.CancelAsync();
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
            foreach (TempNetns ns in namespaces)
            {
                ns.Dispose();
            }
        }
    }

    private static void Feed(Channel<ResourceUpdate> updates, params NetworkPolicy[] policies)
    {
        updates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.Namespaces, [Element(ApiJsonWriter.Write(Cluster.Ns("x")))]));
        updates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.Pods, [Element(ApiJsonWriter.Write(Client)), Element(ApiJsonWriter.Write(Server))]));
        updates.Writer.TryWrite(ResourceUpdate.OfList(KubeResource.NetworkPolicies, [.. policies.Select(p => Element(ApiJsonWriter.Write(p)))]));
    }

    private static JsonElement Element(byte[] json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>A handshake within a second: a dropped SYN never completes.</summary>
    private static async Task<bool> ConnectsAsync(TempNetns from, Pod to, int port)
    {
        using Socket client = from.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(new IPEndPoint(to.Addresses[0], port), timeout.Token);
            return true;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return false;
        }
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>The CNI plugin <c>out/weave-net</c> against real routers on two hosts: ADD, CHECK,
/// DEL, failures that must leave nothing behind, pods on two hosts talking, STATUS and GC.</summary>
public sealed class Cni2Tests(ITestOutputHelper output)
{
    private const string PodArgs = "IgnoreUnknown=1;K8S_POD_UID=0b1c;K8S_POD_NAME=web-1;K8S_POD_INFRA_CONTAINER_ID=c0ffee;K8S_POD_NAMESPACE=shop";

    [RootFact]
    public void Add_Check_Del_Del_BuildsThePodNetworkAndRemovesIt()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        LabHost host = cluster.Hosts[0];
        string netns = host.AddPodNamespace("pod1");
        string podNs = Path.GetFileName(netns);

        JsonObject result = cluster.Add(0, "c0ffee", netns, args: PodArgs);
        output.WriteLine(result.ToJsonString());
        Assert.Equal("1.0.0", result["cniVersion"]!.GetValue<string>());
        IPAddress address = CniCluster.AddressOf(result);
        string hostVeth = result["interfaces"]![0]!["name"]!.GetValue<string>();
        Assert.Matches("^vethwepl[0-9a-f]{7}$", hostVeth);
        Assert.Equal("eth0", result["interfaces"]![1]!["name"]!.GetValue<string>());
        Assert.Equal(netns, result["interfaces"]![1]!["sandbox"]!.GetValue<string>());
        string gateway = result["ips"]![0]!["gateway"]!.GetValue<string>();

        // The pod: eth0 up with the address and the MTU of the bridge, default route via the bridge's address.
        string podLink = Ip.In(podNs, "-o", "addr", "show", "dev", "eth0").Stdout;
        Assert.Contains(result["ips"]![0]!["address"]!.GetValue<string>(), podLink, StringComparison.Ordinal);
        Assert.Contains("mtu " + host.BridgeMtu(), Ip.In(podNs, "link", "show", "dev", "eth0").Stdout, StringComparison.Ordinal);
        Assert.Contains($"default via {gateway} dev eth0", Ip.In(podNs, "route", "show").Stdout, StringComparison.Ordinal);
        Assert.Contains(result["interfaces"]![1]!["mac"]!.GetValue<string>(), Ip.In(podNs, "link", "show", "dev", "eth0").Stdout, StringComparison.Ordinal);
        // The host end: on the bridge weave, up, hairpin on; the bridge has the gateway address.
        string hostLink = Ip.In(host.Namespace, "-d", "link", "show", "dev", hostVeth).Stdout;
        Assert.Contains("master weave", hostLink, StringComparison.Ordinal);
        Assert.Contains("hairpin on", hostLink, StringComparison.Ordinal);
        Assert.Contains("state UP", hostLink, StringComparison.Ordinal);
        Assert.Contains($"inet {gateway}/", Ip.In(host.Namespace, "addr", "show", "dev", "weave").Stdout, StringComparison.Ordinal);
        // The host reaches the pod through the bridge; weave ps shows the pod from CNI_ARGS and its MAC.
        Assert.True(host.Ping(address, count: 2).Succeeded, "the host cannot ping its pod at " + address);
        CommandResult ps = host.RunWeave("ps");
        Assert.True(ps.Succeeded, ps.ToString());
        // With the pod's MAC, as Weave's showed it: chosen by the plugin and recorded with the address.
        string podMac = result["interfaces"]![1]!["mac"]!.GetValue<string>();
        Assert.Contains($"c0ffee {podMac} {result["ips"]![0]!["address"]!.GetValue<string>()} shop/web-1", ps.Stdout, StringComparison.Ordinal);

        string withPrev = CniCluster.Config(extra: c => c["prevResult"] = result.DeepClone());
        CommandResult check = cluster.Run(0, "CHECK", "c0ffee", netns, withPrev);
        Assert.True(check.Succeeded, check.ToString());
        Assert.Equal("", check.Stdout);

        // CHECK names what differs: here the default route, removed behind the plugin's back.
        Ip.In(podNs, "route", "del", "default");
        (int code, string message) = CniCluster.ErrorOf(cluster.Run(0, "CHECK", "c0ffee", netns, withPrev));
        Assert.Equal(102, code);
        Assert.Contains("route 0.0.0.0/0 via " + gateway, message, StringComparison.Ordinal);

        CommandResult del = cluster.Run(0, "DEL", "c0ffee", netns, withPrev);
        Assert.True(del.Succeeded, del.ToString());
        Assert.Empty(cluster.PodVeths(0));
        Assert.DoesNotContain("eth0", Ip.Links(podNs));
        Assert.Equal(404, cluster.Ipam.Api(0).Get("/ip/c0ffee").Status);

        // The second DEL, as runtimes send it: empty CNI_NETNS, no prevResult.
        CommandResult again = cluster.Run(0, "DEL", "c0ffee", "");
        Assert.True(again.Succeeded, again.ToString());
    }

    [RootFact]
    public void Add_InEverySupportedVersion_AnswersInThatVersionsShape()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        foreach (string version in new[] { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" })
        {
            string id = "v" + version.Replace(".", "", StringComparison.Ordinal);
            string netns = cluster.Hosts[0].AddPodNamespace(id);
            JsonObject result = cluster.Add(0, id, netns, CniCluster.Config(version));

            Assert.Equal(version, result["cniVersion"]!.GetValue<string>());
            Assert.Equal(["cniVersion", "interfaces", "ips", "routes", "dns"], result.Select(p => p.Key));
            JsonObject ip = result["ips"]![0]!.AsObject();
            Assert.Equal(version.StartsWith('0') ? ["version", "address", "gateway", "interface"] : ["address", "gateway", "interface"], ip.Select(p => p.Key));
            Assert.Equal(1, ip["interface"]!.GetValue<int>());
            Assert.Equal(netns, result["interfaces"]![1]!["sandbox"]!.GetValue<string>());
            Assert.Matches("^([0-9a-f]{2}:){5}[0-9a-f]{2}$", result["interfaces"]![1]!["mac"]!.GetValue<string>());

            if (version != "0.3.0" && version != "0.3.1")
            {
                CommandResult check = cluster.Run(0, "CHECK", id, netns, CniCluster.Config(version, c => c["prevResult"] = result.DeepClone()));
                Assert.True(check.Succeeded, check.ToString());
            }
            CommandResult del = cluster.Run(0, "DEL", id, netns, CniCluster.Config(version));
            Assert.True(del.Succeeded, del.ToString());
        }
        Assert.Empty(cluster.PodVeths(0));
    }

    [RootFact]
    public void Add_WithTheBridgeAddressOffThePodsSubnet_RoutesToItOnTheLinkFirst()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        LabHost host = cluster.Hosts[0];
        // The bridge already has an address, outside the pods' range: it stays the gateway.
        Ip.In(host.Namespace, "addr", "add", "192.168.77.1/24", "dev", LabHost.Bridge);
        // The host's way back to the pods, which an address in their subnet would have given it.
        Ip.In(host.Namespace, "route", "add", "10.32.0.0/12", "dev", LabHost.Bridge);
        string netns = host.AddPodNamespace("off");

        JsonObject result = cluster.Add(0, "off-pod", netns);

        Assert.Equal("192.168.77.1", result["ips"]![0]!["gateway"]!.GetValue<string>());
        string routes = Ip.In(Path.GetFileName(netns), "route", "show").Stdout;
        Assert.Contains("192.168.77.1 dev eth0 scope link", routes, StringComparison.Ordinal);
        Assert.Contains("default via 192.168.77.1 dev eth0", routes, StringComparison.Ordinal);
        Assert.True(PingFrom(netns, IPAddress.Parse("192.168.77.1")), "the pod cannot reach its off-subnet gateway");
        Assert.DoesNotContain("10.", Ip.In(host.Namespace, "-4", "addr", "show", "dev", LabHost.Bridge).Stdout, StringComparison.Ordinal);
    }

    [RootFact]
    public void Del_AfterTheNamespaceWasDeleted_ReleasesTheAddress()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        string netns = cluster.Hosts[0].AddPodNamespace("gone");
        JsonObject result = cluster.Add(0, "gone-pod", netns);
        Assert.True(cluster.Ipam.Api(0).Get("/ip/gone-pod").Ok);

        Ip.Run("netns", "delete", Path.GetFileName(netns)).EnsureSuccess();
        CommandResult del = cluster.Run(0, "DEL", "gone-pod", netns);

        Assert.True(del.Succeeded, del.ToString());
        Assert.Equal(404, cluster.Ipam.Api(0).Get("/ip/gone-pod").Status);
        Assert.Empty(cluster.PodVeths(0));
        // The address is free again: the next pod gets it.
        JsonObject next = cluster.Add(0, "next-pod", cluster.Hosts[0].AddPodNamespace("next"));
        Assert.Equal(CniCluster.AddressOf(result), CniCluster.AddressOf(next));
    }

    [RootFact]
    public void Add_FailingMidway_UndoesTheVethAndTheAllocation()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        string netns = cluster.Hosts[0].AddPodNamespace("taken");
        string podNs = Path.GetFileName(netns);
        // eth0 already exists in the pod: the veth cannot be made there, after the address was allocated.
        Ip.In(podNs, "link", "add", "eth0", "type", "veth", "peer", "name", "other0");

        CommandResult add = cluster.Run(0, "ADD", "taken-pod", netns);

        (int code, string message) = CniCluster.ErrorOf(add);
        output.WriteLine(add.ToString());
        Assert.Equal(100, code);
        Assert.Contains("eth0", message, StringComparison.Ordinal);
        Assert.Contains("undone: release", add.Stderr, StringComparison.Ordinal);
        Assert.Equal(404, cluster.Ipam.Api(0).Get("/ip/taken-pod").Status);
        Assert.Empty(cluster.PodVeths(0));
        Assert.Equal(["eth0", "lo", "other0"], Ip.Links(podNs).Order(StringComparer.Ordinal));
    }

    [RootFact]
    public void Add_WithTheRouterUnreachable_FailsWithCode11AndCreatesNothing()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        string netns = cluster.Hosts[0].AddPodNamespace("lonely");
        string config = CniCluster.Config(extra: c => c["routerAddress"] = "127.0.0.1:1");

        (int code, string message) = CniCluster.ErrorOf(cluster.Run(0, "ADD", "lonely-pod", netns, config));

        Assert.Equal(11, code);
        Assert.Contains("unreachable at 127.0.0.1:1", message, StringComparison.Ordinal);
        Assert.Empty(cluster.PodVeths(0));
        Assert.Equal(["lo"], Ip.Links(Path.GetFileName(netns)));
    }

    [RootFact]
    public void Pods_AddedOnTwoHosts_PingEachOtherThroughTheRouters()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        string netns1 = cluster.Hosts[0].AddPodNamespace("a");
        string netns2 = cluster.Hosts[1].AddPodNamespace("b");
        IPAddress a = CniCluster.AddressOf(cluster.Add(0, "pod-a", netns1));
        IPAddress b = CniCluster.AddressOf(cluster.Add(1, "pod-b", netns2));
        Assert.NotEqual(a, b);

        Assert.True(PingFrom(netns1, b), $"pod-a cannot ping pod-b at {b}");
        Assert.True(PingFrom(netns2, a), $"pod-b cannot ping pod-a at {a}");
    }

    [RootFact]
    public void Status_And_Gc_FollowTheRouterAndTheValidAttachments()
    {
        RootFactAttribute.Require();
        using var cluster = CniCluster.Start(2, output.WriteLine);
        string config11 = CniCluster.Config("1.1.0");
        CommandResult status = cluster.Run(0, "STATUS", "", "", config11);
        Assert.True(status.Succeeded, status.ToString());
        (int code, string message) = CniCluster.ErrorOf(cluster.Run(0, "STATUS", "", "",
            CniCluster.Config("1.1.0", c => c["routerAddress"] = "127.0.0.1:1")));
        Assert.Equal(50, code);
        Assert.Contains("unreachable", message, StringComparison.Ordinal);

        _ = cluster.Add(0, "keep-me", cluster.Hosts[0].AddPodNamespace("keep"), config11);
        _ = cluster.Add(0, "drop-me", cluster.Hosts[0].AddPodNamespace("drop"), config11);
        Assert.True(cluster.Ipam.Api(0).Post("/ip/not-a-pod").Ok); // an allocation of someone else: GC must leave it
        Assert.Equal(2, cluster.PodVeths(0).Count);

        // GC with no attachment list knows nothing and releases nothing.
        Assert.True(cluster.Run(0, "GC", "", "", config11).Succeeded);
        Assert.True(cluster.Ipam.Api(0).Get("/ip/drop-me").Ok);

        string gc = CniCluster.Config("1.1.0", c => c["cni.dev/valid-attachments"] = new JsonArray(
            new JsonObject { ["containerID"] = "keep-me", ["ifname"] = "eth0" }));
        CommandResult collected = cluster.Run(0, "GC", "", "", gc);
        Assert.True(collected.Succeeded, collected.ToString());

        Assert.True(cluster.Ipam.Api(0).Get("/ip/keep-me").Ok);
        Assert.Equal(404, cluster.Ipam.Api(0).Get("/ip/drop-me").Status);
        Assert.True(cluster.Ipam.Api(0).Get("/ip/not-a-pod").Ok);
        Assert.True(cluster.Ipam.Api(0).Get("/ip/weave:expose").Ok);
        Assert.Single(cluster.PodVeths(0));
    }

    private static bool PingFrom(string netns, IPAddress target) =>
        Eventually.True(() => Command.Run(TimeSpan.FromSeconds(10), "ip", "netns", "exec", Path.GetFileName(netns),
            "ping", "-n", "-c", "1", "-W", "1", target.ToString()).Succeeded, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
}

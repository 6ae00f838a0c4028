using System.Diagnostics;
using System.Net;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>The lab itself, without the router: underlay, bridge, cleanup.</summary>
public sealed class NetLabTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_reachWithin = TimeSpan.FromSeconds(10);

    [RootFact]
    public void Hosts_OnUnderlay_ReachEachOther()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(2, output.WriteLine);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1];

        Assert.True(host1.WaitForPing(host2.UnderlayAddress, s_reachWithin), host1.Ping(host2.UnderlayAddress).ToString());
        Assert.True(host2.WaitForPing(host1.UnderlayAddress, s_reachWithin), host2.Ping(host1.UnderlayAddress).ToString());
        Assert.Equal(["lo", "eth0"], host1.Links());
    }

    [RootFact]
    public void PodsOnOneHost_OverBridge_ReachEachOther()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(1, output.WriteLine);
        LabHost host = lab.Hosts[0];
        LabPod pod1 = host.AddPod("pod1", "10.32.0.1/12");
        LabPod pod2 = host.AddPod("pod2", "10.32.0.2/12");

        Assert.True(pod1.WaitForPing(pod2.Address, s_reachWithin), pod1.Ping(pod2.Address).ToString());
        Assert.True(pod2.WaitForPing(pod1.Address, s_reachWithin), pod2.Ping(pod1.Address).ToString());
        Assert.Equal(IPAddress.Parse("10.32.0.1"), pod1.Address);
        Assert.Equal("10.32.0.0/12", pod1.Cidr.ToString());
        Assert.Contains(LabHost.Bridge, host.Links());
        // No router has set the overlay MTU: the bridge has the kernel's default and the pods copy it.
        Assert.Equal(1500, host.BridgeMtu());
        Assert.Equal(1500, Ip.Mtu(pod1.Namespace, "eth0"));
    }

    [RootFact]
    public void Create_WithUnderlayMtu_GivesItToEveryUnderlayLink_AndPodsMayAskForTheirs()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(2, output.WriteLine, underlayMtu: 9000);

        Assert.Equal(9000, lab.UnderlayMtu);
        Assert.Equal(9000, Ip.Mtu(lab.UnderlayNamespace, "br0"));
        Assert.All(lab.Hosts, host => Assert.Equal(9000, Ip.Mtu(host.Namespace, "eth0")));
        LabPod pod = lab.Hosts[0].AddPod("pod1", "10.32.0.1/12", mtu: 4000);
        Assert.Equal(4000, Ip.Mtu(pod.Namespace, "eth0"));
        Assert.Equal(4000, Ip.Mtu(lab.Hosts[0].Namespace, pod.HostLink));
    }

    [RootFact]
    public void Dispose_RemovesNamespacesProcessesAndLogs_AndIsIdempotent()
    {
        RootFactAttribute.Require();
        var lab = NetLab.Create(2, output.WriteLine);
        LabPod pod = lab.Hosts[0].AddPod("pod1", "10.32.0.1/12");
        LabProcess sleeper = lab.Hosts[1].Start("sleep", "600");
        LabProcess podSleeper = pod.Start("sleep", "600");
        string[] created = [.. lab.Namespaces];
        Assert.Equal(4, created.Length);
        Assert.All(created, ns => Assert.StartsWith(lab.RunName + "-", ns, StringComparison.Ordinal));
        Assert.True(Directory.Exists(lab.TempDirectory));

        lab.Dispose();
        lab.Dispose();

        IReadOnlyList<string> remaining = LabNamespaces.List();
        Assert.DoesNotContain(remaining, ns => ns.StartsWith(lab.RunName + "-", StringComparison.Ordinal));
        Assert.True(sleeper.HasExited);
        Assert.True(podSleeper.HasExited);
        Assert.False(Signals.IsAlive(sleeper.Pid));
        Assert.False(Directory.Exists(lab.TempDirectory) && !NetLab.KeepLogs);
        Assert.Throws<ObjectDisposedException>(() => lab.Hosts[0].AddPod("pod2", "10.32.0.2/12"));
    }

    [RootFact]
    public void Create_WithCrashedRunsLeftovers_RemovesThemButNotLiveRuns()
    {
        RootFactAttribute.Require();
        int deadPid = DeadPid();
        string crashed = RunName.For(deadPid, 1);
        string live = RunName.For(1, 999_999); // pid 1 is always alive
        string[] crashedNamespaces = [crashed + "-underlay", crashed + "-host1", crashed + "-host1-pod1"];
        using var orphan = new Process();
        try
        {
            foreach (string ns in crashedNamespaces)
            {
                LabNamespaces.Add(ns);
            }
            LabNamespaces.Add(live + "-host1");
            // A process left running inside, as a crashed run's router would be.
            orphan.StartInfo = new ProcessStartInfo("ip", ["netns", "exec", crashed + "-host1", "sleep", "600"]);
            orphan.Start();
            Assert.True(Eventually.True(() => LabNamespaces.Pids(crashed + "-host1").Count == 1, TimeSpan.FromSeconds(5)));

            using var lab = NetLab.Create(1, output.WriteLine);

            IReadOnlyList<string> remaining = LabNamespaces.List();
            Assert.DoesNotContain(remaining, ns => ns.StartsWith(crashed + "-", StringComparison.Ordinal));
            Assert.Contains(live + "-host1", remaining);
            Assert.True(orphan.WaitForExit(TimeSpan.FromSeconds(5)), "the leftover's process was not killed");
        }
        finally
        {
            foreach (string ns in crashedNamespaces.Append(live + "-host1"))
            {
                _ = LabNamespaces.Destroy(ns);
            }
        }
    }

    /// <summary>The id of a process that has exited and been reaped, so nothing owns it now.</summary>
    private static int DeadPid()
    {
        using Process process = Process.Start("true");
        process.WaitForExit();
        int pid = process.Id;
        Assert.False(Signals.IsAlive(pid));
        return pid;
    }
}

using System.Text.RegularExpressions;
using Weave.Lab;

namespace Weave.Demo;

/// <summary>
/// Three simulated hosts, a router and a pod on each (its address from the router's IP
/// allocation); shows the mesh's and IPAM's status and pings across hosts, then removes everything (also on Ctrl-C). <c>--verbose</c> prints every lab step and
/// router log line.
/// </summary>
public static partial class Program
{
    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(30);

    public static int Main(string[] args)
    {
        bool verbose = args.Contains("--verbose") || args.Contains("-v");
        try
        {
            return Run(verbose);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"demo failed: {e.Message}");
            return 1;
        }
    }

    private static int Run(bool verbose)
    {
        Step("Creating 3 simulated hosts: network namespaces on a shared underlay bridge");
        using NetLab lab = NetLab.Create(3, verbose ? Console.WriteLine : null);
        LabHost host1 = lab.Hosts[0], host2 = lab.Hosts[1], host3 = lab.Hosts[2];
        foreach (LabHost host in lab.Hosts)
        {
            Console.WriteLine($"  {host.Name}: namespace {host.Namespace}, eth0 {host.UnderlayAddress}/{NetLab.UnderlayPrefixLength}");
        }

        Step("Launching a router on each host (host2 -> host1, host3 -> host1 host2)");
        LabProcess[] routers =
        [
            Launch(host1),
            Launch(host2, host1.UnderlayAddress.ToString()),
            Launch(host3, host1.UnderlayAddress.ToString(), host2.UnderlayAddress.ToString()),
        ];
        for (int i = 0; i < routers.Length; i++)
        {
            LabHost host = lab.Hosts[i];
            LabProcess router = routers[i];
            if (!Eventually.True(() => router.HasExited || host.Links().Contains(LabHost.Bridge), s_within) || router.HasExited)
            {
                return Fail(lab, $"the router on {host.Name} did not create the bridge {LabHost.Bridge}", routers);
            }
        }

        Step("Waiting for the mesh: host1 should have 2 established connections");
        if (!Eventually.True(() => EstablishedConnections(host1) >= 2 || routers.Any(r => r.HasExited), s_within)
            || routers.Any(r => r.HasExited))
        {
            Console.WriteLine("  (not there yet; showing what there is)");
        }

        Step("Asking each host's router for a pod address (POST /ip/{id}: the 3 routers agree on the split of 10.32.0.0/12 first)");
        var addresses = new string[lab.Hosts.Count];
        for (int i = 0; i < lab.Hosts.Count; i++)
        {
            using var api = new RouterApi(lab.Hosts[i]);
            RouterApi.Reply reply = api.Post($"/ip/pod{i + 1}");
            if (!reply.Ok)
            {
                return Fail(lab, $"no address from the router on {lab.Hosts[i].Name}: {reply}", routers);
            }
            addresses[i] = reply.Body.Trim();
            Console.WriteLine($"  {lab.Hosts[i].Name}$ curl -X POST 127.0.0.1:6784/ip/pod{i + 1}   -> {addresses[i]}");
        }

        Step("Attaching a pod with that address to each host's bridge `weave`");
        LabPod[] pods = [.. lab.Hosts.Select((host, i) => host.AddPod($"pod{i + 1}", addresses[i]))];
        foreach (LabPod pod in pods)
        {
            Console.WriteLine($"  {pod.Name} on {pod.Host.Name}: eth0 {pod.Address}/{pod.Cidr.PrefixLength}");
        }

        Step("host1$ weave status");
        Console.WriteLine(Indent(host1.RunWeave("status")));
        Step("host1$ weave status connections");
        Console.WriteLine(Indent(host1.RunWeave("status", "connections")));
        Step("host1$ weave status ipam");
        Console.WriteLine(Indent(host1.RunWeave("status", "ipam")));

        bool ok = true;
        foreach ((LabPod from, LabPod to) in new[] { (pods[0], pods[2]), (pods[2], pods[0]) })
        {
            Step($"{from.Name} ({from.Host.Name})$ ping {to.Address}   # {to.Name} on {to.Host.Name}");
            _ = from.WaitForPing(to.Address, s_within);
            CommandResult ping = from.Ping(to.Address, count: 3);
            Console.WriteLine(Indent(ping));
            ok &= ping.Succeeded;
        }

        if (!ok)
        {
            return Fail(lab, "cross-host ping failed", routers);
        }
        Step("Removing the hosts, pods and routers");
        lab.Dispose();
        Console.WriteLine("  done: pods on different hosts reached each other through the routers.");
        return 0;
    }

    private static LabProcess Launch(LabHost host, params string[] peers)
    {
        LabProcess router = host.StartRouter(["--ipalloc-init", "consensus=3", .. peers]);
        Console.WriteLine($"  {host.Name}$ weave launch --name {host.PeerName} --nickname {host.Name} --ipalloc-init consensus=3 {string.Join(' ', peers)}".TrimEnd());
        return router;
    }

    private static int EstablishedConnections(LabHost host)
    {
        CommandResult result = host.RunWeave("status", "connections");
        return result.Succeeded ? Established().Count(result.Stdout) : 0;
    }

    private static int Fail(NetLab lab, string why, LabProcess[] routers)
    {
        if (lab.IsDisposed)
        {
            Console.Error.WriteLine("demo interrupted: everything it created is removed");
            return 130;
        }
        Console.Error.WriteLine($"demo failed: {why}");
        foreach (LabProcess router in routers)
        {
            string state = router.HasExited ? $"exited {router.ExitCode}" : "running";
            Console.Error.WriteLine($"--- {router} ({state}); last lines:");
            Console.Error.WriteLine(string.Join('\n', router.Output.Split('\n').TakeLast(15)));
        }
        return 1;
    }

    private static void Step(string title)
    {
        Console.WriteLine();
        Console.WriteLine($"==> {title}");
    }

    private static string Indent(CommandResult result)
    {
        string text = result.Succeeded ? result.Stdout : result.ToString();
        return string.Join('\n', text.TrimEnd().Split('\n').Select(line => "  " + line));
    }

    [GeneratedRegex(@"\bestablished\b")]
    private static partial Regex Established();
}

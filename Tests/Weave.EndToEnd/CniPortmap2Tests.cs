using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// <c>weave install-cni</c>'s conflist driven as a runtime drives it (each plugin in turn, the
/// previous result passed on, runtimeConfig for the capabilities a plugin declares), with Debian's
/// real <c>portmap</c> chained after weave-net: a hostPort on host1 reaches the pod from host2.
/// </summary>
public sealed class CniPortmap2Tests(ITestOutputHelper output)
{
    private const string DebianPluginDirectory = "/usr/lib/cni";
    private const int HostPort = 18080;
    private const int ContainerPort = 8080;

    [RootFact]
    public void InstalledConflist_WithPortmap_ForwardsAHostPortToThePod()
    {
        RootFactAttribute.Require();
        Assert.True(File.Exists(Path.Combine(DebianPluginDirectory, "portmap")),
            "Debian's portmap plugin is missing: apt-get install containernetworking-plugins (test.sh does)");
        using var cluster = CniCluster.Start(2, output.WriteLine);
        LabHost host1 = cluster.Hosts[0];
        string root = Path.Combine(Path.GetTempPath(), "wv-cni-install-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            string bin = Path.Combine(root, "bin"), conf = Path.Combine(root, "net.d");
            CommandResult install = host1.RunWeave("install-cni", "--source", Repo.RequireCniBinary(), "--bin-dir", bin, "--legacy-bin-dir", "", "--conf-dir", conf);
            Assert.True(install.Succeeded, install.ToString());
            JsonObject conflist = JsonNode.Parse(File.ReadAllText(Path.Combine(conf, "10-weave.conflist")))!.AsObject();
            // Forwarding on the host (a node's job, as kubelet's): the DNATed connection goes from eth0 to the bridge.
            host1.Exec("sysctl", "-qw", "net.ipv4.ip_forward=1").EnsureSuccess();

            string netns = host1.AddPodNamespace("web");
            var mappings = new JsonArray(new JsonObject { ["hostPort"] = HostPort, ["containerPort"] = ContainerPort, ["protocol"] = "tcp" });
            JsonObject result = RunList(host1, conflist, "ADD", "web-pod", netns, [bin, DebianPluginDirectory], mappings, prevResult: null)!;
            IPAddress pod = CniCluster.AddressOf(result);
            output.WriteLine("chained result: " + result.ToJsonString());

            using Socket listener = NetNsSocket(Path.GetFileName(netns), () =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Any, ContainerPort));
                socket.Listen(4);
                return socket;
            });
            string greeting = ConnectAndRead(cluster.Hosts[1], host1.UnderlayAddress, listener);
            Assert.Equal("hello from " + pod, greeting);

            // DEL in reverse order, with the final result; then the port is closed again.
            Assert.Null(RunList(host1, conflist, "DEL", "web-pod", netns, [bin, DebianPluginDirectory], mappings, result));
            Assert.Empty(cluster.PodVeths(0));
            Assert.Equal(404, cluster.Ipam.Api(0).Get("/ip/web-pod").Status);
            Assert.DoesNotContain("dport " + HostPort, host1.Exec("iptables-save").Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Runs every plugin of the list for one command, as libcni does: ADD in order, each
    /// given the previous result; DEL in reverse, each given the final result. Returns ADD's result.</summary>
    private JsonObject? RunList(LabHost host, JsonObject conflist, string command, string containerId, string netns, string[] path, JsonArray mappings, JsonObject? prevResult)
    {
        JsonNode[] plugins = [.. conflist["plugins"]!.AsArray().Select(p => p!)];
        if (command == "DEL")
        {
            Array.Reverse(plugins);
        }
        JsonObject? result = prevResult;
        foreach (JsonNode plugin in plugins)
        {
            var config = plugin.DeepClone().AsObject();
            config["name"] = conflist["name"]!.GetValue<string>();
            config["cniVersion"] = conflist["cniVersion"]!.GetValue<string>();
            if (config["capabilities"]?["portMappings"]?.GetValue<bool>() == true)
            {
                config["runtimeConfig"] = new JsonObject { ["portMappings"] = mappings.DeepClone() };
            }
            if (result is not null)
            {
                config["prevResult"] = result.DeepClone();
            }
            string type = config["type"]!.GetValue<string>();
            string binary = path.Select(d => Path.Combine(d, type)).First(File.Exists);
            var environment = CniCluster.Environment(command, containerId, netns);
            environment["CNI_PATH"] = string.Join(':', path);
            CommandResult run = host.RunCniPlugin(environment, config.ToJsonString(), binary);
            output.WriteLine($"{type} {command}: exit {run.ExitCode} {run.Stdout.Trim()} {run.Stderr.Trim()}");
            Assert.True(run.Succeeded, run.ToString());
            if (command == "ADD")
            {
                result = JsonNode.Parse(run.Stdout)!.AsObject();
            }
        }
        return command == "ADD" ? result : null;
    }

    private static Socket NetNsSocket(string netns, Func<Socket> open) => Weave.Linux.NetNs.Run(netns, open);

    /// <summary>Connects from <paramref name="client"/> to host1's hostPort; the pod answers on the accepted connection.</summary>
    private static string ConnectAndRead(LabHost client, IPAddress hostAddress, Socket listener)
    {
        using Socket socket = client.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        Task<Socket> accepting = listener.AcceptAsync();
        socket.Connect(new IPEndPoint(hostAddress, HostPort));
        Assert.True(accepting.Wait(TimeSpan.FromSeconds(20)), "the pod saw no connection through the hostPort");
        using Socket accepted = accepting.Result;
        IPAddress pod = ((IPEndPoint)accepted.LocalEndPoint!).Address;
        accepted.Send(Encoding.ASCII.GetBytes("hello from " + pod));
        accepted.Shutdown(SocketShutdown.Send);
        socket.ReceiveTimeout = 20_000;
        var text = new StringBuilder();
        byte[] buffer = new byte[256];
        int read;
        while ((read = socket.Receive(buffer)) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return text.ToString();
    }
}

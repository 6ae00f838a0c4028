using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Weave.Lab;
using Xunit;

namespace Weave.EndToEnd;

/// <summary>
/// Hosts with a router each (IP allocation by consensus of all of them, host i dialling host i−1)
/// and the CNI plugin <c>out/weave-net</c> run in a host's namespace as a container runtime runs
/// it: CNI_* variables, the configuration on stdin, the answer parsed from stdout.
/// </summary>
internal sealed class CniCluster : IDisposable
{
    public const string NetworkName = "weave";
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    private CniCluster(IpamCluster ipam)
    {
        Ipam = ipam;
    }

    public IpamCluster Ipam { get; }

    public NetLab Lab => Ipam.Lab;

    public IReadOnlyList<LabHost> Hosts => Ipam.Hosts;

    public static CniCluster Start(int hostCount, Action<string> log)
    {
        var ipam = IpamCluster.Create(hostCount, log, "consensus=" + hostCount);
        try
        {
            ipam.StartChain(hostCount, Within);
            foreach (LabHost host in ipam.Hosts)
            {
                ipam.WaitFor($"bridge weave on {host.Name}", Within, () => host.Links().Contains(LabHost.Bridge));
            }
            return new CniCluster(ipam);
        }
        catch
        {
            ipam.Dispose();
            throw;
        }
    }

    /// <summary>The network configuration as a runtime passes it, with <paramref name="extra"/> keys added.</summary>
    public static string Config(string version = "1.0.0", Action<JsonObject>? extra = null)
    {
        var config = new JsonObject
        {
            ["cniVersion"] = version,
            ["name"] = NetworkName,
            ["type"] = "weave-net",
        };
        extra?.Invoke(config);
        return config.ToJsonString();
    }

    public static Dictionary<string, string> Environment(string command, string containerId, string netns, string ifName = "eth0", string args = "") => new()
    {
        ["CNI_COMMAND"] = command,
        ["CNI_CONTAINERID"] = containerId,
        ["CNI_NETNS"] = netns,
        ["CNI_IFNAME"] = ifName,
        ["CNI_ARGS"] = args,
        ["CNI_PATH"] = "/usr/lib/cni",
    };

    public CommandResult Run(int host, string command, string containerId, string netns, string? config = null, string ifName = "eth0", string args = "") =>
        Hosts[host].RunCniPlugin(Environment(command, containerId, netns, ifName, args), config ?? Config());

    /// <summary>ADD that must succeed; returns the parsed result.</summary>
    public JsonObject Add(int host, string containerId, string netns, string? config = null, string args = "")
    {
        CommandResult add = Run(host, "ADD", containerId, netns, config, args: args);
        Assert.True(add.Succeeded, add.ToString());
        return JsonNode.Parse(add.Stdout)!.AsObject();
    }

    /// <summary>The pod's address from an ADD result (the first IP).</summary>
    public static IPAddress AddressOf(JsonObject result) =>
        IPAddress.Parse(result["ips"]![0]!["address"]!.GetValue<string>().Split('/')[0]);

    /// <summary>The error JSON on stdout of a failed run: its code and message.</summary>
    public static (int Code, string Message) ErrorOf(CommandResult result)
    {
        Assert.False(result.Succeeded, "expected a failure: " + result);
        using JsonDocument error = JsonDocument.Parse(result.Stdout);
        return (error.RootElement.GetProperty("code").GetInt32(), error.RootElement.GetProperty("msg").GetString()!);
    }

    /// <summary>Host veths of pods (the plugin names them vethwepl + 7 hex digits) in a host's namespace.</summary>
    public IReadOnlyList<string> PodVeths(int host) => [.. Hosts[host].Links().Where(l => l.StartsWith("vethwepl", StringComparison.Ordinal))];

    public void Dispose() => Ipam.Dispose();
}

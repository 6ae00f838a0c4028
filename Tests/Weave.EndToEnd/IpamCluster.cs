using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Weave.Lab;
using Xunit;

namespace Weave.EndToEnd;

/// <summary>
/// A lab whose routers run IP allocation (<c>--ipalloc-init consensus=3</c> by default; host i
/// targets host i−1), with HTTP clients for their APIs and the checks the IPAM end-to-end tests
/// share: full mesh, allocations, owners from <c>status ipam</c>, ring comparison. Disposing it
/// disposes the lab: routers stopped, namespaces and data directories removed.
/// </summary>
internal sealed partial class IpamCluster : IDisposable
{
    public static readonly IPNetwork Range = IPNetwork.Parse("10.32.0.0/12");

    /// <summary>Addresses in <see cref="Range"/>: the owners' counts in <c>status ipam</c> add up to this.</summary>
    public const long RangeSize = 1L << 20;

    private readonly LabProcess?[] _routers;
    private readonly RouterApi?[] _apis;
    private readonly string _init;

    private IpamCluster(NetLab lab, string init)
    {
        Lab = lab;
        _init = init;
        _routers = new LabProcess?[lab.Hosts.Count];
        _apis = new RouterApi?[lab.Hosts.Count];
    }

    public NetLab Lab { get; }

    public IReadOnlyList<LabHost> Hosts => Lab.Hosts;

    public static IpamCluster Create(int hostCount, Action<string> log, string init = "consensus=3")
    {
        RootFactAttribute.Require();
        NetLab lab = NetLab.Create(hostCount, log);
        return new IpamCluster(lab, init);
    }

    /// <summary>Starts host <paramref name="index"/>'s router (0-based) with <c>--ipalloc-init</c> and host index−1 (or <paramref name="target"/>) as its peer.</summary>
    public LabProcess Start(int index, int? target = null)
    {
        var args = new List<string> { "--ipalloc-init", _init };
        int peer = target ?? index - 1;
        if (peer >= 0)
        {
            args.Add(Hosts[peer].UnderlayAddress.ToString());
        }
        LabProcess router = Hosts[index].StartRouter([.. args]);
        _routers[index] = router;
        return router;
    }

    /// <summary>Starts host <paramref name="index"/>'s router with exactly <paramref name="args"/> (no <c>--ipalloc-init</c> added).</summary>
    public LabProcess StartWith(int index, params string[] args)
    {
        LabProcess router = Hosts[index].StartRouter(args);
        _routers[index] = router;
        return router;
    }

    /// <summary>Starts a cluster's routers, seeded by exactly its own peers, each after the first dialling the first.</summary>
    public void StartCluster(string name, IPNetwork range, int[] members)
    {
        string seeds = "seed=" + string.Join(',', members.Select(m => Hosts[m].PeerName));
        foreach (int member in members)
        {
            var args = new List<string> { "--cluster", name, "--ipalloc-range", range.ToString(), "--ipalloc-init", seeds };
            if (member != members[0])
            {
                args.Add(Hosts[members[0]].UnderlayAddress.ToString());
            }
            _ = StartWith(member, [.. args]);
        }
    }

    /// <summary>What host <paramref name="index"/>'s router has logged so far; empty when it was never started.</summary>
    public string Output(int index) => _routers[index]?.Output ?? "";

    /// <summary>Starts the routers of hosts 0..count−1 as a chain and waits for their full mesh.</summary>
    public void StartChain(int count, TimeSpan within)
    {
        for (int i = 0; i < count; i++)
        {
            _ = Start(i);
        }
        WaitFullMesh([.. Enumerable.Range(0, count)], within);
    }

    /// <summary>SIGKILL, as a crash; the data directory stays.</summary>
    public void Kill(int index)
    {
        _routers[index]?.Kill();
        Lab.Log($"{Hosts[index].Name}: router killed (SIGKILL)");
    }

    public RouterApi Api(int index) => _apis[index] ??= new RouterApi(Hosts[index]);

    /// <summary>POST /ip/{id} on a host; asserts success and returns the answer (<c>10.32.0.5/12</c>).</summary>
    public string Allocate(int index, string id)
    {
        RouterApi.Reply reply = Api(index).Post("/ip/" + id);
        Assert.True(reply.Ok, $"{Hosts[index].Name}: {reply}\n{Describe(index)}");
        return reply.Body;
    }

    /// <summary>Allocations on several hosts at once, all in flight together: host index → IDs. Returns ID → answer; asserts every one succeeded.</summary>
    public async Task<Dictionary<string, string>> AllocateConcurrentlyAsync(IEnumerable<(int Host, string Id)> requests)
    {
        (int Host, string Id)[] all = [.. requests];
        RouterApi.Reply[] replies = await Task.WhenAll(all.Select(r => Api(r.Host).SendAsync(HttpMethod.Post, "/ip/" + r.Id)));
        string[] failed = [.. replies.Select((r, i) => (r, i)).Where(x => !x.r.Ok).Select(x => $"{Hosts[all[x.i].Host].Name}: {x.r}")];
        Assert.True(failed.Length == 0, $"{failed.Length} of {all.Length} allocations failed:\n{string.Join('\n', failed.Take(10))}\n{DescribeAll()}");
        return all.Select((r, i) => (r.Id, replies[i].Body)).ToDictionary(x => x.Id, x => x.Body, StringComparer.Ordinal);
    }

    /// <summary>GET /ip on a host: each ID it holds with its addresses.</summary>
    public Dictionary<string, string[]> Owned(int index)
    {
        RouterApi.Reply reply = Api(index).Get("/ip");
        Assert.True(reply.Ok, $"{Hosts[index].Name}: {reply}");
        using JsonDocument json = JsonDocument.Parse(reply.Body);
        var owned = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (JsonElement entry in json.RootElement.GetProperty("owned").EnumerateArray())
        {
            owned.Add(entry.GetProperty("containerid").GetString()!, [.. entry.GetProperty("addrs").EnumerateArray().Select(a => a.GetString()!)]);
        }
        return owned;
    }

    /// <summary>Parses <c>10.32.0.5/12</c>; asserts the prefix is the range's and the address lies in it.</summary>
    public static IPAddress InRange(string answer)
    {
        Match match = AddressAnswer().Match(answer);
        Assert.True(match.Success, $"'{answer}' is not an address like 10.32.0.5/12");
        var address = IPAddress.Parse(match.Groups[1].Value);
        Assert.True(Range.Contains(address) && match.Groups[2].Value == "12", $"'{answer}' is not in {Range} with prefix 12");
        return address;
    }

    /// <summary>One line of <c>weave status ipam</c>.</summary>
    public sealed record Share(string Owner, long Count, double Percent, string Suffix);

    /// <summary><c>weave status ipam</c> (the CLI) on a host, parsed; null when the command failed.</summary>
    public (List<Share>? Shares, string Text) StatusIpam(int index)
    {
        CommandResult result = Hosts[index].RunWeave("status", "ipam");
        if (!result.Succeeded)
        {
            return (null, result.ToString());
        }
        var shares = new List<Share>();
        foreach (string line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Match match = ShareLine().Match(line);
            if (!match.Success)
            {
                return (null, result.Stdout);
            }
            shares.Add(new Share(match.Groups[1].Value, long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
                double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture), match.Groups[4].Value));
        }
        return (shares, result.Stdout);
    }

    /// <summary><c>name(nick)</c> of a host's router, as status lines show it.</summary>
    public string Owner(int index) => $"{Hosts[index].PeerName}({Hosts[index].Name})";

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> and every host's state.</summary>
    public void WaitFor(string what, TimeSpan within, Func<bool> condition, Func<string>? details = null)
    {
        var clock = Stopwatch.StartNew();
        if (Eventually.True(condition, within))
        {
            Lab.Log($"{what}: after {clock.Elapsed.TotalSeconds:0.0} s");
            return;
        }
        Assert.Fail($"expected {what} within {within.TotalSeconds:0} s\n{details?.Invoke()}\n{DescribeAll()}");
    }

    /// <summary>Every member's router knows exactly the members and has one established connection to each other member.</summary>
    public void WaitFullMesh(int[] members, TimeSpan within) =>
        WaitFor($"a full mesh of {string.Join(", ", members.Select(m => Hosts[m].Name))}", within,
            () => members.AsParallel().All(m => IsMeshedWith(m, members)));

    /// <summary>
    /// Whether every member's router knows exactly the members and has one established connection
    /// to each other member. Asks one router at a time on the calling thread, so it blocks no
    /// thread-pool thread that requests running meanwhile need to complete.
    /// </summary>
    public bool IsFullMesh(int[] members) => members.All(m => IsMeshedWith(m, members));

    private bool IsMeshedWith(int index, int[] members)
    {
        RouterApi.Reply status = Api(index).Get("/status");
        RouterApi.Reply connections = Api(index).Get("/status/connections");
        if (!status.Ok || !connections.Ok || MeshStatusText.Peers(status.Body) != members.Length)
        {
            return false;
        }
        MeshStatusText.Row[] established = [.. MeshStatusText.Connections(connections.Body).Where(r => r.Established)];
        return established.Length == members.Length - 1 &&
            members.Where(m => m != index).All(m => established.Count(r => r.Info.Contains(Owner(m), StringComparison.Ordinal)) == 1);
    }

    /// <summary>
    /// The host's ring as comparable text: from <c>GET /report</c>'s <c>IPAM.Ring</c> (token, peer,
    /// version per entry) when the router serves it, else the sorted owner and count pairs of
    /// <c>GET /status/ipam</c>. Null when neither answers.
    /// </summary>
    public string? Ring(int index)
    {
        RouterApi.Reply report = Api(index).Get("/report");
        if (report.Ok)
        {
            using JsonDocument json = JsonDocument.Parse(report.Body);
            if (json.RootElement.TryGetProperty("IPAM", out JsonElement ipam) && ipam.TryGetProperty("Ring", out JsonElement ring))
            {
                string[] entries = [.. ring.EnumerateArray().Select(e => string.Create(CultureInfo.InvariantCulture,
                    $"{e.GetProperty("Token").GetString()} {e.GetProperty("Peer").GetString()} v{e.GetProperty("Version").GetInt64()}"))];
                return entries.Length == 0 ? null : "ring: " + string.Join("; ", entries);
            }
        }
        return OwnerCounts(index);
    }

    /// <summary>The sorted owner and count pairs of <c>GET /status/ipam</c>; null when it does not answer.</summary>
    public string? OwnerCounts(int index)
    {
        RouterApi.Reply shares = Api(index).Get("/status/ipam");
        if (!shares.Ok)
        {
            return null;
        }
        var owners = new List<string>();
        foreach (string line in shares.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            Match match = ShareLine().Match(line);
            if (!match.Success)
            {
                return null;
            }
            owners.Add($"{match.Groups[1].Value} {match.Groups[2].Value}");
        }
        owners.Sort(StringComparer.Ordinal);
        return owners.Count == 0 ? null : "owners: " + string.Join("; ", owners);
    }

    /// <summary>Waits until every member reports the same ring.</summary>
    public void WaitRingsIdentical(int[] members, TimeSpan within)
    {
        string?[] rings = [];
        WaitFor($"identical rings on {string.Join(", ", members.Select(m => Hosts[m].Name))}", within, () =>
        {
            rings = [.. members.Select(Ring)];
            return rings[0] is not null && rings.All(r => r == rings[0]);
        }, () => string.Join('\n', members.Select((m, i) => $"{Hosts[m].Name}: {rings.ElementAtOrDefault(i) ?? "(none)"}")));
        Lab.Log($"the common ring: {rings[0]}");
    }

    public string Describe(int index)
    {
        var text = new StringBuilder();
        RouterApi api = Api(index);
        text.Append("--- ").Append(Hosts[index].Name).Append(' ').Append(Owner(index)).Append(" ---\n");
        foreach (string path in new[] { "/status", "/status/connections", "/status/ipam" })
        {
            text.Append(api.Get(path).ToString()).Append('\n');
        }
        if (_routers[index] is { } router)
        {
            text.Append(router.HasExited ? $"router exited {router.ExitCode}" : "router running").Append("; last lines:\n").Append(Tail(router.Output, 25)).Append('\n');
        }
        return text.ToString();
    }

    public string DescribeAll() => string.Concat(Enumerable.Range(0, Hosts.Count).Where(i => _routers[i] is not null).Select(Describe));

    /// <summary>Namespaces of this lab that <c>ip netns list</c> still shows (none once disposed).</summary>
    public string[] LeftoverNamespaces() =>
        [.. Ip.Run("netns", "list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith(Lab.RunName + "-", StringComparison.Ordinal))];

    public void Dispose()
    {
        foreach (RouterApi? api in _apis)
        {
            api?.Dispose();
        }
        Lab.Dispose();
    }

    private static string Tail(string text, int lines)
    {
        string[] all = text.TrimEnd().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    [GeneratedRegex(@"^(\d+\.\d+\.\d+\.\d+)/(\d+)$")]
    private static partial Regex AddressAnswer();

    /// <summary><c>name(nick)</c> padded to 37, the count 8 wide, <c>IPs (x.x% of total)</c>, then <c> (N active)</c> or <c> - unreachable!</c>.</summary>
    [GeneratedRegex(@"^(\S+)\s+(\d+) IPs \((\d+(?:\.\d+)?)% of total\)(.*)$")]
    private static partial Regex ShareLine();
}

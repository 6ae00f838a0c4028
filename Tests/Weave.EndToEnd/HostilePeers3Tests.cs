using System.Diagnostics;
using System.Net;
using Weave.EndToEnd.Hostile;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Three hosts: a router under attack (host1), a real peer (host2) with a pod on each, and an
/// attacker (host3, no router) speaking our protocol from 100 addresses without the password.
/// The router's resident memory is sampled throughout; the real peers must stay connected and the
/// pods keep pinging.
/// </summary>
public sealed class HostilePeers3Tests(ITestOutputHelper output)
{
    private const int FakeCount = 1000;
    private const int SourceAddresses = 100;

    /// <summary>
    /// The issue's bound under attack. An idle router takes about 29 MB; what the attack may add is
    /// its connections' fixed costs (a socket, a pipe, a few kB of queues each) up to the limit.
    /// </summary>
    private const long PeakLimitKb = 100 * 1024;

    /// <summary>Within a minute after the attack the router must be back under this (the issue's figure).</summary>
    private const long AfterLimitKb = 60 * 1024;

    private static readonly TimeSpan s_within = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_hold = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_recovery = TimeSpan.FromMinutes(1);

    [RootFact]
    public async Task ThousandFakePeersThatNeverRead_MemoryBoundedAndReturned_RealPeersKeepPinging()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(3, Throttled(output.WriteLine));
        using var scene = Scene.Start(lab);
        using var rss = new RssSampler(scene.Router1.Pid);
        using var ping = new PingWatch(scene.Pod2, scene.Pod1.Address);
        Thread.Sleep(TimeSpan.FromSeconds(3));
        long idle = rss.Current();
        var clock = Stopwatch.StartNew();

        rss.Phase = "attack";
        IReadOnlyList<IPAddress> sources = FakePeers.AddSourceAddresses(scene.Attacker, 100, SourceAddresses);
        await using var fakes = new FakePeers(scene.Attacker, sources, "fake\u001b[2J\0peer", seed: 19);
        FakePeers.Attempts joined = await fakes.JoinAsync(scene.Router1Endpoint, FakeCount, parallel: 100);
        output.WriteLine($"+{clock.Elapsed.TotalSeconds:0} s: {FakeCount} fakes tried to join: {joined}; router1 {scene.ConnectionsLine()}");
        Thread.Sleep(s_hold);
        output.WriteLine($"+{clock.Elapsed.TotalSeconds:0} s: held {s_hold.TotalSeconds:0} s: {fakes.Open} fakes open, {fakes.ClosedByRouter} closed by the router; router1 {scene.ConnectionsLine()}");

        rss.Phase = "after";
        fakes.CloseAll();
        var after = Stopwatch.StartNew();
        bool returned = Eventually.True(() => rss.Current() < AfterLimitKb, s_recovery, TimeSpan.FromSeconds(1));
        output.WriteLine($"+{clock.Elapsed.TotalSeconds:0} s: fakes gone; RSS {RssSampler.Mb(rss.Current())} after {after.Elapsed.TotalSeconds:0} s");
        // Where it settles (not asserted beyond the bound above): freed memory given back once the churn is over.
        if (after.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(TimeSpan.FromSeconds(10) - after.Elapsed);
        }
        output.WriteLine($"+{clock.Elapsed.TotalSeconds:0} s: RSS {RssSampler.Mb(rss.Current())} {after.Elapsed.TotalSeconds:0} s after the fakes left");
        output.WriteLine($"router1 RSS (idle {RssSampler.Mb(idle)}):\n{rss.Describe(TimeSpan.FromSeconds(5))}");
        output.WriteLine($"pod2 -> pod1: {ping}");

        Assert.True(rss.Peak() < PeakLimitKb, $"router1 peaked at {RssSampler.Mb(rss.Peak())} under attack (limit {RssSampler.Mb(PeakLimitKb)})");
        Assert.True(returned, $"router1 still at {RssSampler.Mb(rss.Current())} {s_recovery.TotalSeconds:0} s after the attack (limit {RssSampler.Mb(AfterLimitKb)})");
        scene.AssertRealPeersStayed();
        AssertPingsKept(ping);
    }

    /// <summary>
    /// Connections that come and go as fast as the router takes them, from 100 addresses: plain
    /// connect and close, a full handshake and close, garbage and close. Memory stays bounded,
    /// the log does not grow with every refusal, the real peers stay.
    /// </summary>
    [RootFact]
    public async Task ConnectCloseStorms_MemoryBounded_LogRateLimited_RealPeersKeepPinging()
    {
        RootFactAttribute.Require();
        using var lab = NetLab.Create(3, Throttled(output.WriteLine));
        using var scene = Scene.Start(lab);
        using var rss = new RssSampler(scene.Router1.Pid);
        using var ping = new PingWatch(scene.Pod2, scene.Pod1.Address);
        IReadOnlyList<IPAddress> sources = FakePeers.AddSourceAddresses(scene.Attacker, 100, SourceAddresses);
        await using var storm = new FakePeers(scene.Attacker, sources, "storm\u0007\u009b31m", seed: 5);
        int logBefore = scene.Router1.StderrLines.Count;
        var clock = Stopwatch.StartNew();

        rss.Phase = "storm";
        foreach ((FakePeers.Storm kind, int count) in new[] { (FakePeers.Storm.Connect, 400), (FakePeers.Storm.Handshake, 300), (FakePeers.Storm.Garbage, 300) })
        {
            FakePeers.Attempts attempts = await storm.StormAsync(scene.Router1Endpoint, count, parallel: 100, kind);
            output.WriteLine($"+{clock.Elapsed.TotalSeconds:0} s: storm of {count} ({kind}): {attempts}");
        }
        int logged = scene.Router1.StderrLines.Count - logBefore;
        rss.Phase = "after";
        bool returned = Eventually.True(() => rss.Current() < AfterLimitKb, s_recovery, TimeSpan.FromSeconds(1));
        output.WriteLine($"router1 logged {logged} lines during the storms; RSS (peak {RssSampler.Mb(rss.Peak())}):\n{rss.Describe(TimeSpan.FromSeconds(5))}");
        output.WriteLine($"pod2 -> pod1: {ping}");

        Assert.True(rss.Peak() < PeakLimitKb, $"router1 peaked at {RssSampler.Mb(rss.Peak())} during the storms (limit {RssSampler.Mb(PeakLimitKb)})");
        Assert.True(returned, $"router1 still at {RssSampler.Mb(rss.Current())} {s_recovery.TotalSeconds:0} s after the storms");
        // 1,000 refusals and handshake failures in under a minute: a line for the first of each
        // kind, then a summary per kind and interval; 60 lines leaves room for the real peers' own.
        Assert.True(logged <= 60, $"router1 logged {logged} lines during the storms:\n{string.Join('\n', scene.Router1.StderrLines.Skip(logBefore).Take(80))}");
        scene.AssertRealPeersStayed();
        AssertPingsKept(ping);
    }

    /// <summary>
    /// Pods keep talking: at least 90 % of pings answered, no run of more than 5 s unanswered.
    /// (A generous margin: both cores of the lab machine are busy with the attack and the router
    /// under it, and other work shares them.)
    /// </summary>
    private static void AssertPingsKept(PingWatch ping)
    {
        var (sent, answered, gap) = ping.Summary();
        Assert.True(sent > 0 && answered >= sent * 0.9 && gap <= 5 * PingWatch.PerSecond, $"pod2 -> pod1: {ping}");
    }

    /// <summary>The lab's log, cut after 300 lines of routers' output: an attack logs a lot, the log file keeps all of it.</summary>
    private static Action<string> Throttled(Action<string> log)
    {
        int lines = 0;
        return line =>
        {
            int n = Interlocked.Increment(ref lines);
            if (n <= 300)
            {
                log(line);
            }
            else if (n == 301)
            {
                log("(lab log cut here; the routers' log files have the rest)");
            }
        };
    }

    /// <summary>host1's router (no targets), host2's (dialling host1), a pod on each; host3 the attacker.</summary>
    private sealed class Scene : IDisposable
    {
        private Scene(NetLab lab)
        {
            Lab = lab;
            Host1 = lab.Hosts[0];
            Host2 = lab.Hosts[1];
            Attacker = lab.Hosts[2];
        }

        public NetLab Lab { get; }
        public LabHost Host1 { get; }
        public LabHost Host2 { get; }
        public LabHost Attacker { get; }
        public LabProcess Router1 { get; private set; } = null!;
        public LabProcess Router2 { get; private set; } = null!;
        public LabPod Pod1 { get; private set; } = null!;
        public LabPod Pod2 { get; private set; } = null!;
        public RouterApi Api1 { get; private set; } = null!;
        public IPEndPoint Router1Endpoint => new(Host1.UnderlayAddress, 6783);

        public static Scene Start(NetLab lab, params string[] router1Args)
        {
            var scene = new Scene(lab);
            scene.Router1 = scene.Host1.StartRouter(["--host", scene.Host1.UnderlayAddress.ToString(), .. router1Args]);
            scene.Router2 = scene.Host2.StartRouter(scene.Host1.UnderlayAddress.ToString());
            scene.Api1 = new RouterApi(scene.Host1);
            Assert.True(Eventually.True(() => Established(scene.Host1, scene.Host2) && Established(scene.Host2, scene.Host1), s_within),
                $"the real peers did not connect:\n{scene.Diagnostics()}");
            scene.Pod1 = scene.Host1.AddPod("pod1", "10.32.0.1/12");
            scene.Pod2 = scene.Host2.AddPod("pod2", "10.32.0.2/12");
            Assert.True(scene.Pod2.WaitForPing(scene.Pod1.Address, s_within), $"pod2 cannot ping pod1:\n{scene.Diagnostics()}");
            return scene;
        }

        /// <summary><c>Connections: N (...)</c> of router1's status.</summary>
        public string ConnectionsLine()
        {
            RouterApi.Reply status = Api1.Get("/status");
            return status.Body.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("Connections:", StringComparison.Ordinal))?.Trim() ?? status.ToString();
        }

        /// <summary>Both routers still have their connection to each other established, and it never closed.</summary>
        public void AssertRealPeersStayed()
        {
            Assert.True(Established(Host1, Host2) && Established(Host2, Host1), $"the real peers lost their connection:\n{Diagnostics()}");
            string closed = $"Connection to {Host2.PeerName}({Host2.Name})";
            Assert.DoesNotContain(Router1.Output.Split('\n'), l => l.Contains(closed, StringComparison.Ordinal) && l.Contains("closed", StringComparison.Ordinal));
        }

        public static bool Established(LabHost host, LabHost other)
        {
            CommandResult connections = host.RunWeave("status", "connections");
            return connections.Succeeded && MeshStatusText.Connections(connections.Stdout)
                .Any(r => r.Established && r.Info.Contains($"{other.PeerName}({other.Name})", StringComparison.Ordinal));
        }

        public string Diagnostics() =>
            $"host1:\n{Host1.RunWeave("status")}\nrouter1 (last lines):\n{Tail(Router1.Output, 60)}\nrouter2 (last lines):\n{Tail(Router2.Output, 30)}";

        private static string Tail(string text, int lines)
        {
            string[] all = text.Split('\n');
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }

        public void Dispose() => Api1?.Dispose();
    }
}

using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Weave.KubeLab;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Kubernetes;

/// <summary>
/// A rolling update of the DaemonSet to a new image tag while pods ping across nodes and on one
/// node, every 10 ms: pods on one node never lose a packet (their traffic never passes the
/// router), nor do pods on two nodes, whose frames the kernels carry on the fast path while each
/// node's router is replaced (docs/dataplane.md); a gap, were there one, is printed against the
/// moment the new router said it was ready.
/// </summary>
public sealed partial class AddOnRollout2Tests(ITestOutputHelper output)
{
    private const double PingInterval = 0.01;

    [RootFact]
    public void RollingUpdate_SameNodeTrafficNeverStops_CrossNodeTrafficResumes()
    {
        RootFactAttribute.Require();
        using KubeCluster cluster = AddOn.StartCluster(2, output.WriteLine);
        AddOn.Install(cluster);
        cluster.Apply(AddOn.Pod("p1", "node1"));
        cluster.Apply(AddOn.Pod("p2", "node2"));
        cluster.Apply(AddOn.Pod("p3", "node1"));
        foreach (string pod in (string[])["p1", "p2", "p3"])
        {
            cluster.WaitForPodReady("default", pod);
        }
        IPAddress p2 = AddOn.PodIp(cluster, "p2"), p3 = AddOn.PodIp(cluster, "p3");
        AddOn.InPod(cluster, "p1", "ping", "-c", "2", "-W", "2", p2.ToString()).EnsureSuccess();

        string upgrade = Path.Combine(cluster.RunDirectory, "weave-image-next.tar");
        const string next = "localhost/weave:0.1.0-next";
        ImageArchive.Retag(AddOn.RequireImage(), upgrade, next);
        cluster.ImportImage(upgrade);
        string[] oldPods = [AddOn.PodOn(cluster, "node1")!, AddOn.PodOn(cluster, "node2")!];

        // 18,000 pings, 180 s at 100 a second (busybox's timer may make it slower: the send times are
        // taken from the run's start and end). The rolling update takes 20-30 s, or up to a minute more per node:
        // the DaemonSet replaces a node's pod once the old one is gone, and kubelet 1.20 often lets
        // a deleted pod go only at its next once-a-minute collection (KubeCluster.PodDeletionTimeout).
        const int count = 18000;
        string interval = PingInterval.ToString(CultureInfo.InvariantCulture);
        DateTime pingStart = DateTime.UtcNow;
        Task<CommandResult> cross = Task.Run(() => cluster.Kubectl(TimeSpan.FromMinutes(7), "exec", "p1", "--", "ping", "-i", interval, "-W", "1", "-c", count.ToString(CultureInfo.InvariantCulture), p2.ToString()));
        Task<CommandResult> local = Task.Run(() => cluster.Kubectl(TimeSpan.FromMinutes(7), "exec", "p1", "--", "ping", "-i", interval, "-W", "1", "-c", count.ToString(CultureInfo.InvariantCulture), p3.ToString()));
        Thread.Sleep(TimeSpan.FromSeconds(5));

        cluster.Kubectl("-n", AddOn.Namespace, "set", "image", "ds/" + AddOn.DaemonSet, $"weave-init={next}", $"weave={next}", $"weave-npc={next}").EnsureSuccess();
        cluster.Kubectl(TimeSpan.FromMinutes(4), "-n", AddOn.Namespace, "rollout", "status", "ds/" + AddOn.DaemonSet, "--timeout=240s").EnsureSuccess();
        DateTime rolledOut = DateTime.UtcNow;
        string[] newPods = [AddOn.PodOn(cluster, "node1")!, AddOn.PodOn(cluster, "node2")!];
        Assert.DoesNotContain(newPods, oldPods.Contains);
        Assert.All(newPods, pod => Assert.Contains(next,
            cluster.Kubectl("-n", AddOn.Namespace, "get", "pod", pod, "-o", "jsonpath={.spec.containers[0].image}").Stdout, StringComparison.Ordinal));

        CommandResult crossResult = cross.Result, localResult = local.Result;
        // busybox ping prints no times: a ping's send time is placed evenly between the run's start
        // and its end (kubectl exec returns right after the last answer).
        DateTime pingEnd = DateTime.UtcNow;
        double spacing = (pingEnd - pingStart).TotalSeconds / count;
        List<int> crossSeen = Sequences(crossResult.Stdout), localSeen = Sequences(localResult.Stdout);
        output.WriteLine($"cross-node ping: {crossSeen.Count}/{count} answered; same-node ping: {localSeen.Count}/{count} answered");
        output.WriteLine(cluster.Kubectl("-n", AddOn.Namespace, "get", "events", "--sort-by=.metadata.creationTimestamp",
            "-o", "custom-columns=TIME:.metadata.creationTimestamp,REASON:.reason,OBJECT:.involvedObject.name,MESSAGE:.message").Stdout);

        Assert.Equal(count, localSeen.Count);
        DateTime SentAt(int seq) => pingEnd.AddSeconds((seq - count) * spacing);
        // Traffic across nodes is back once both routers are replaced: every ping sent from 5 s
        // after the rollout ended was answered (and there were enough of them to tell).
        int[] afterRollout = [.. Enumerable.Range(0, count).Where(seq => SentAt(seq) > rolledOut.AddSeconds(5))];
        Assert.True(afterRollout.Length >= 100, $"the rolling update ended too late to see traffic after it ({afterRollout.Length} pings)");
        Assert.All(afterRollout, seq => Assert.Contains(seq, crossSeen));
        var readyTimes = new List<(string Pod, DateTime Ready)>();
        foreach (string pod in newPods)
        {
            string log = AddOn.Logs(cluster, pod);
            Match ready = ReadyLine().Match(log);
            Assert.True(ready.Success, $"no ready line in {pod}'s log:\n{log}");
            readyTimes.Add((pod, DateTime.SpecifyKind(DateTime.ParseExact(ready.Groups[1].Value, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture), DateTimeKind.Utc)));
            output.WriteLine($"--- log of {pod}\n{log}");
        }
        foreach ((int from, int to) in Gaps(crossSeen, count))
        {
            DateTime lost = SentAt(from), back = SentAt(to);
            (string pod, DateTime readyAt) = readyTimes.MinBy(r => Math.Abs((r.Ready - back).TotalSeconds));
            output.WriteLine(AddOn.Invariant(
                $"cross-node gap: {(to - from) * spacing:F2} s, seq {from}..{to - 1} ({lost:HH:mm:ss.ff} to {back:HH:mm:ss.ff} UTC); {pod} ready at {readyAt:HH:mm:ss.fff}: traffic back {(back - readyAt).TotalSeconds:F1} s after"));
        }
        Assert.Equal(count, crossSeen.Count); // the fast path: not one cross-node ping lost
    }

    /// <summary>The sequence numbers that got an answer (busybox: "64 bytes from ...: seq=12 ttl=...").</summary>
    private static List<int> Sequences(string pingOutput) =>
        [.. SeqNumber().Matches(pingOutput).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Distinct().Order()];

    /// <summary>Runs of unanswered sequence numbers, as [from, to).</summary>
    private static List<(int From, int To)> Gaps(List<int> seen, int count)
    {
        var set = new HashSet<int>(seen);
        var gaps = new List<(int, int)>();
        for (int seq = 0; seq < count; seq++)
        {
            if (set.Contains(seq))
            {
                continue;
            }
            int start = seq;
            while (seq < count && !set.Contains(seq))
            {
                seq++;
            }
            gaps.Add((start, seq));
        }
        return gaps;
    }

    [GeneratedRegex(@"seq=(\d+) ")]
    private static partial Regex SeqNumber();

    [GeneratedRegex(@"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) info: weave\[2000\] Router .* ready", RegexOptions.Multiline)]
    private static partial Regex ReadyLine();
}

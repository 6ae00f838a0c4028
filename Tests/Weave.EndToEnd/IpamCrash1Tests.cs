using System.Collections.Concurrent;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>
/// Group commit under a crash: 8 clients allocate as fast as the router answers, the router is
/// killed with SIGKILL in the middle of the burst, and every allocation it had answered must be
/// there after the restart, with the same address (the answer waits for the write that holds it;
/// the write replaces the file whole, so the restart reads the old or the new state, never a torn one).
/// </summary>
public sealed class IpamCrash1Tests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_startWithin = TimeSpan.FromSeconds(30);

    [RootFact]
    public async Task Kill9DuringAnAllocationBurst_EveryAnsweredAllocationSurvives_ThreeTimes()
    {
        using var cluster = IpamCluster.Create(1, output.WriteLine, init: "consensus=1");
        var answered = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        int next = 0;
        for (int round = 0; round < 3; round++)
        {
            _ = cluster.Start(0);
            using var api = new RouterApi(cluster.Hosts[0], 8);
            cluster.WaitFor("the router answering GET /status", s_startWithin, () => api.Get("/status").Ok);
            foreach ((string id, string address) in answered)
            {
                RouterApi.Reply kept = api.Get("/ip/" + id);
                Assert.True(kept.Ok && kept.Body == address + "\n", $"round {round}: {id} was answered {address}, after the crash: {kept}");
            }
            int before = answered.Count;
            Task[] clients = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                while (true)
                {
                    string id = $"burst-{Interlocked.Increment(ref next)}";
                    RouterApi.Reply reply = await api.SendAsync(HttpMethod.Post, "/ip/" + id);
                    if (reply.Status != 200)
                    {
                        return;
                    }
                    answered[id] = reply.Body;
                }
            }))];
            cluster.WaitFor("300 allocations answered in the burst", s_startWithin, () => answered.Count >= before + 300);
            cluster.Kill(0);
            await Task.WhenAll(clients);
            output.WriteLine($"round {round}: killed after {answered.Count - before} answers in this burst, {answered.Count} in all");
        }
        Assert.Equal(answered.Count, answered.Values.Distinct(StringComparer.Ordinal).Count());

        _ = cluster.Start(0);
        using var last = new RouterApi(cluster.Hosts[0], 1);
        cluster.WaitFor("the router answering GET /status", s_startWithin, () => last.Get("/status").Ok);
        Dictionary<string, string[]> owned = cluster.Owned(0);
        foreach ((string id, string address) in answered)
        {
            Assert.True(owned.TryGetValue(id, out string[]? held) && held.Any(h => h == address || h == address.Split('/')[0]),
                $"{id} was answered {address}; the restarted router holds {(held is null ? "nothing" : string.Join(", ", held))}");
        }
        string fresh = cluster.Allocate(0, "after-the-crashes");
        Assert.DoesNotContain(fresh, answered.Values);
    }
}

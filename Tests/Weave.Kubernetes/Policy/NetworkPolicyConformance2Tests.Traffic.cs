using System.Net;
using System.Net.Sockets;
using Weave.Lab;
using Xunit;
using static Weave.Kubernetes.Policy.Direction;
using static Weave.Kubernetes.Policy.Selector;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// Policy updates while traffic flows: policies are changed in place, again and again, while one
/// pair that every state allows and one that every state denies are probed without pause, and a
/// connection opened before the first change must still carry data after each one.
/// </summary>
public sealed partial class NetworkPolicyConformance2Tests
{
    private const int Changes = 8;

    private static readonly TimeSpan s_betweenChanges = TimeSpan.FromSeconds(1.5);

    // x/a admits x/b on TCP 80; x/b may send only to x/a.
    private static readonly NetworkPolicy[] s_stateA =
    [
        new NetworkPolicy("x", "a-in", Labels("pod", "a")) with { Ingress = [new Rule([Peer.PodsWhere(Labels("pod", "b"))], [PolicyPort.Tcp(80)])] },
        new NetworkPolicy("x", "b-out", Labels("pod", "b")) with { Egress = [Rule.From(Peer.PodsWhere(Labels("pod", "a")))], Types = [Egress] },
    ];

    // The same policies, wider: x/a also admits namespace y and TCP 81; x/b may also reach x/c.
    private static readonly NetworkPolicy[] s_stateB =
    [
        new NetworkPolicy("x", "a-in", Labels("pod", "a")) with
        {
            Ingress = [new Rule([Peer.PodsWhere(Labels("pod", "b")), Peer.NamespacesWhere(Labels("ns", "y"))], [PolicyPort.Tcp(80), PolicyPort.Tcp(81)])],
        },
        new NetworkPolicy("x", "b-out", Labels("pod", "b")) with { Egress = [Rule.From(Peer.PodsWhere(Where(Requirement.In("pod", "a", "c"))))], Types = [Egress] },
    ];

    // Added and deleted between the changes: a policy elsewhere must not disturb x.
    private static readonly NetworkPolicy s_unrelated = new NetworkPolicy("z", "unrelated", Labels("pod", "c")) with { Types = [Ingress] };

    [RootFact]
    public async Task PolicyUpdates_WhileTrafficFlows_NeverFlipAPairEveryStateDecidesAlike()
    {
        RootFactAttribute.Require();
        _lab.Start();
        _lab.ReplacePolicies(s_stateA);
        var problems = new List<string>();
        if ((await CheckAsync("state A before the changes")).Failure is { } before)
        {
            problems.Add(before);
        }

        ClusterState state = _lab.State;
        ClusterPod xa = state.Pod("x", "a"), xb = state.Pod("x", "b"), zb = state.Pod("z", "b");
        var allowed = new ProbeCase(xb, ProbeTarget.ToPod(xa), 80, Protocol.Tcp);
        var denied = new ProbeCase(zb, ProbeTarget.ToPod(xa), 80, Protocol.Tcp);
        foreach (NetworkPolicy[] policies in new[] { s_stateA, s_stateB })
        {
            ClusterState either = state with { Policies = policies };
            Assert.True(SpecModel.Allows(either, allowed) && !SpecModel.Allows(either, denied), "the pairs must be decided alike in both states");
        }

        using Socket longLived = Prober.TcpSocketIn(xb);
        using (var connecting = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await longLived.ConnectAsync(new IPEndPoint(xa.Address, 80), connecting.Token);
        }
        Assert.True(await Prober.EchoesAsync(longLived, 0), "the long-lived connection carries no data before the changes");

        int brokenConnection = 0;
        // The allowed pair gets 2 s: a probe slowed by a busy machine is not a drop.
        await using (var keepAllowed = new ContinuousProbe(allowed, expected: true, TimeSpan.FromSeconds(2)))
        await using (var keepDenied = new ContinuousProbe(denied, expected: false, Prober.Timeout))
        {
            keepAllowed.Start();
            keepDenied.Start();
            for (int change = 1; change <= Changes; change++)
            {
                _lab.ApplyPolicies(change % 2 == 1 ? s_stateB : s_stateA);
                if (change % 4 == 1)
                {
                    _lab.ApplyPolicies([s_unrelated]);
                }
                else if (change % 4 == 3)
                {
                    _lab.DeletePolicy(s_unrelated.Namespace, s_unrelated.Name);
                }
                await Task.Delay(s_betweenChanges);
                if (!await Prober.EchoesAsync(longLived, (byte)change, TimeSpan.FromSeconds(2)))
                {
                    problems.Add($"after change {change} the long-lived connection {allowed} carried no data");
                    brokenConnection++;
                }
            }
            await keepAllowed.DisposeAsync();
            await keepDenied.DisposeAsync();
            _output.WriteLine($"{Changes} changes: {keepAllowed.Probes} probes of {allowed}, {keepAllowed.UnexpectedCount} denied; " +
                $"{keepDenied.Probes} probes of {denied}, {keepDenied.UnexpectedCount} allowed; long-lived connection without data {brokenConnection} times");
            foreach (ContinuousProbe probe in new[] { keepAllowed, keepDenied }.Where(p => p.UnexpectedCount > 0))
            {
                problems.Add($"{probe.Probe}: {probe.UnexpectedCount} of {probe.Probes} probes {(probe.Expected ? "denied" : "allowed")}, the first:\n  " +
                    string.Join("\n  ", probe.Unexpected));
            }
        }
        if ((await CheckAsync("state A after the changes")).Failure is { } after)
        {
            problems.Add(after);
        }
        _lab.ReplacePolicies([]);
        Assert.True(problems.Count == 0, $"{problems.Count} problems while policies changed:\n{string.Join("\n", problems)}");
    }
}

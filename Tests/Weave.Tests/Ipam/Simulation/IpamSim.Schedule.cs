using System.Net;
using Weave.Ipam;
using Weave.Ipam.Rings;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>Random schedules: operations, deliveries, time, faults; safety checked after every step.</summary>
internal sealed partial class IpamSim
{
    /// <summary>Runs one schedule from its seed; throws (with the seed and a trace) on any violation.</summary>
    public static IpamSim Run(int seed, int maxReplicas = 20)
    {
        var sim = new IpamSim(seed, IpamSimParameters.FromSeed(seed, maxReplicas));
        try
        {
            sim.RunSchedule();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw sim.Fail(e.ToString());
        }
        return sim;
    }

    private Cidr[] Subnets()
    {
        Cidr range = Options.Range;
        uint start = range.Start;
        return [range, Cidr.FromValue(start, range.PrefixLength + 2), Cidr.FromValue(start + 16, 28), Cidr.FromValue(start + 32, 28)];
    }

    public void RunSchedule()
    {
        Cidr[] subnets = Subnets();
        for (int step = 0; step < Parameters.Steps; step++)
        {
            NextStep();
            int dice = Random.Next(100);
            SimReplica[] live = [.. LiveReplicas];
            SimReplica? r = live.Length == 0 ? null : live[Random.Next(live.Length)];
            if (dice < 28 && r is not null)
            {
                DoAllocate(r, $"c{Random.Next(10)}", subnets[Random.Next(subnets.Length)]);
            }
            else if (dice < 38 && r is not null)
            {
                DoRelease(r);
            }
            else if (dice < 44 && r is not null)
            {
                uint address = Options.Range.Start + 1 + (uint)Random.Next((int)Options.Range.Size - 2);
                DoClaim(r, $"k{Random.Next(4)}", Ip4.ToAddress(address), Options.Range.PrefixLength);
            }
            else if (dice < 64)
            {
                DeliverSome(Random.Next(1, 30), faults: true);
            }
            else if (dice < 76)
            {
                Advance(TimeSpan.FromSeconds(Random.Next(1, 7)));
                Trace($"time +, now {Time.GetUtcNow():HH:mm:ss}");
            }
            else if (dice < 81)
            {
                GossipRound(everyone: false);
            }
            else if (dice < 85 && r is not null && live.Length > 1)
            {
                Trace($"{r} crashes");
                r.Crash();
            }
            else if (dice < 90)
            {
                SimReplica[] crashed = [.. Replicas.Where(x => !x.Gone && x.Allocator is null)];
                if (crashed.Length > 0)
                {
                    SimReplica c = crashed[Random.Next(crashed.Length)];
                    Trace($"{c} restarts");
                    Start(c);
                }
            }
            else if (dice < 93)
            {
                foreach (SimReplica x in Replicas)
                {
                    x.Group = Random.Next(2);
                }
                Trace("partition: " + string.Join(" ", Replicas.Select(x => $"{x}:{x.Group}")));
            }
            else if (dice < 96)
            {
                Heal();
            }
            else if (dice < 98)
            {
                RemoveDeadPeer();
            }
            else if (r is not null && live.Length > 1)
            {
                DoHandOff(r);
            }
            if (dice >= 81)
            {
                PeersChanged();
            }
            CheckOutstanding();
            CheckSafety();
        }
        Finish();
    }

    private void DoAllocate(SimReplica r, string id, Cidr subnet)
    {
        Task<AllocationResult> task = r.Allocator!.Allocate(id, subnet, new Dictionary<string, string> { ["pod"] = id });
        r.Outstanding.Add(new Outstanding(id, subnet, null, task, r.Epoch, Releases(r, id)));
        Trace($"{r} allocate {id} in {subnet}: {(task.IsCompleted ? task.Result.ToString() : "pending")}");
    }

    private void DoClaim(SimReplica r, string id, IPAddress address, int prefix)
    {
        Task<AllocationResult> task = r.Allocator!.Claim(id, address, prefix);
        r.Outstanding.Add(new Outstanding(id, null, address, task, r.Epoch, Releases(r, id)));
        Trace($"{r} claim {address} for {id}: {(task.IsCompleted ? task.Result.ToString() : "pending")}");
    }

    private void DoRelease(SimReplica r)
    {
        IReadOnlyList<IpamAllocation> all = r.Allocator!.List();
        if (all.Count == 0)
        {
            return;
        }
        IpamAllocation victim = all[Random.Next(all.Count)];
        NoteRelease(r, victim.Id);
        AllocationResult result = Random.Next(2) == 0 ? r.Allocator.Release(victim.Id).Done() : r.Allocator.Release(victim.Id, victim.Address).Done();
        Trace($"{r} release {victim}: {result.Message}");
        if (!result.Succeeded)
        {
            throw Fail($"{r} could not release {victim}: {result.Message}");
        }
    }

    private void DoHandOff(SimReplica r)
    {
        if (!Replicas.Any(o => o != r && Connected(r, o)))
        {
            return;
        }
        RemovePeerResult result = r.Allocator!.HandOff().Done();
        Trace($"{r} hands off: {result.Message}");
        if (result.Succeeded)
        {
            // The router leaves only after its hand-off went out on its connections (weave reset does that).
            DeliverFrom(r);
            r.Crash();
            r.Gone = true;
        }
    }

    /// <summary>
    /// The operator's rmpeer: a peer dies for good, the rest is healed and settles (so its last
    /// changes reached everyone who will ever see them), then one to three peers run rmpeer at once.
    /// </summary>
    private void RemoveDeadPeer()
    {
        SimReplica[] candidates = [.. Replicas.Where(x => !x.Gone)];
        if (candidates.Length < 3)
        {
            return;
        }
        SimReplica dead = candidates[Random.Next(candidates.Length)];
        Trace($"{dead} dies for good");
        dead.Crash();
        dead.Gone = true;
        Quiesce();
        SimReplica[] live = [.. LiveReplicas];
        Random.Shuffle(live);
        foreach (SimReplica runner in live.Take(Random.Next(1, 4)))
        {
            RemovePeerResult result = runner.Allocator!.RemovePeer(Random.Next(2) == 0 ? dead.Name.ToString() : dead.NickName).Done();
            if (result.Error == IpamErrorKind.NotFound)
            {
                // Nicknames are best effort (a peer that restarted after the dead one left may never have heard it).
                result = runner.Allocator.RemovePeer(dead.Name.ToString()).Done();
            }
            Trace($"{runner} rmpeer {dead}: {result.Message}");
            if (!result.Succeeded)
            {
                throw Fail($"rmpeer of {dead} on {runner} failed: {result.Message}");
            }
        }
        Removals++;
    }

    private void Heal()
    {
        foreach (SimReplica x in Replicas)
        {
            x.Group = 0;
        }
        Trace("heal");
    }

    /// <summary>Heals, restarts every crashed peer, and runs ticks, gossip and lossless delivery until the rings agree.</summary>
    public void Quiesce()
    {
        Heal();
        foreach (SimReplica c in Replicas.Where(x => !x.Gone && x.Allocator is null))
        {
            Trace($"{c} restarts");
            Start(c);
        }
        PeersChanged();
        for (int round = 0; round < 40; round++)
        {
            foreach (SimReplica r in LiveReplicas)
            {
                r.Allocator!.CheckReady();
            }
            Advance(Options.TickInterval);
            GossipRound(everyone: true);
            while (InFlight > 0)
            {
                DeliverOne(faults: false);
            }
            CheckSafety();
            if (RingsAgree() && LiveReplicas.All(r => !r.Allocator!.Ring.IsEmpty))
            {
                return;
            }
        }
        throw Fail("the rings did not converge after healing: " + string.Join(" | ", LiveReplicas.Select(r => $"{r}: {r.Allocator!.Ring}")));
    }

    private bool RingsAgree()
    {
        Ring? first = null;
        foreach (SimReplica r in LiveReplicas)
        {
            first ??= r.Allocator!.Ring;
            if (!first.Equals(r.Allocator!.Ring))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Completed requests: a success is inside its subnet (or the claimed address) and recorded, unless released or crashed since.</summary>
    private void CheckOutstanding()
    {
        foreach (SimReplica r in LiveReplicas)
        {
            foreach (Outstanding o in r.Outstanding.Where(o => o.Task.IsCompleted).ToList())
            {
                r.Outstanding.Remove(o);
                AllocationResult result = o.Task.Result;
                if (!result.Succeeded)
                {
                    if (result.Error is IpamErrorKind.Invalid or IpamErrorKind.StoreFailed)
                    {
                        throw Fail($"{r} {o.Id}: unexpected failure {result.Error}: {result.Message}");
                    }
                    continue;
                }
                if (o.Subnet is Cidr subnet && (!subnet.Contains(result.Address!) || result.Address!.Equals(subnet.Network) || result.Address.Equals(subnet.Broadcast)))
                {
                    throw Fail($"{r} {o.Id}: {result} is not a host address of {subnet}");
                }
                if (o.Claimed is not null && !o.Claimed.Equals(result.Address))
                {
                    throw Fail($"{r} {o.Id}: claimed {o.Claimed} but got {result}");
                }
                if (o.Epoch == r.Epoch && o.ReleasesAtIssue == Releases(r, o.Id) &&
                    !r.Allocator!.Lookup(o.Id).Any(a => a.Address.Equals(result.Address)))
                {
                    throw Fail($"{r} {o.Id}: {result} was promised but is not recorded");
                }
            }
        }
    }

    /// <summary>The end: heal and settle; rings identical; every request answered; every live peer can still allocate.</summary>
    private void Finish()
    {
        NextStep();
        Quiesce();
        Advance(Options.RequestTimeout + Options.TickInterval);
        CheckOutstanding();
        foreach (SimReplica r in LiveReplicas)
        {
            if (r.Outstanding.Count > 0)
            {
                throw Fail($"{r} has {r.Outstanding.Count} requests never answered");
            }
        }
        foreach (SimReplica r in LiveReplicas.ToList())
        {
            Task<AllocationResult> task = r.Allocator!.Allocate("final", Options.Range);
            for (int round = 0; round < 20 && !task.IsCompleted; round++)
            {
                Advance(TimeSpan.FromSeconds(1));
                while (InFlight > 0)
                {
                    DeliverOne(faults: false);
                }
            }
            if (!task.IsCompleted || !task.Result.Succeeded)
            {
                throw Fail($"{r} cannot allocate after settling: {(task.IsCompleted ? task.Result.Message : "still waiting")}");
            }
            Trace($"{r} final allocation {task.Result}");
            CheckSafety();
        }
        Quiesce();
        CheckSafety();
    }
}

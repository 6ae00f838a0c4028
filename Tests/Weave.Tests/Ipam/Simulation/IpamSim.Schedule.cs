using System.Net;
using Weave.Ipam;
using Weave.Ipam.Rings;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>Random schedules: operations, deliveries, time, faults; safety checked after every step.</summary>
internal sealed partial class IpamSim
{
    /// <summary>Runs one schedule of one cluster from its seed; throws (with the seed and a trace) on any violation.</summary>
    public static IpamSim Run(int seed, int maxReplicas = 20) => Run(new IpamSim(seed, IpamSimParameters.FromSeed(seed, maxReplicas)));

    /// <summary>Runs one schedule of several clusters from its seed, maybe with a deliberate fault of the router.</summary>
    public static IpamSim RunClusters(int seed, SimFaults faults = SimFaults.None) =>
        Run(new IpamSim(seed, IpamSimParameters.ClustersFromSeed(seed), faults: faults));

    private static IpamSim Run(IpamSim sim)
    {
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

    /// <summary>
    /// The step table. Schedules of one cluster draw from the first hundred (exactly as before there
    /// were clusters, so their seeds give the same runs); schedules of several also probe healthy
    /// clusters, make requests of other clusters' addresses, and cut links.
    /// </summary>
    public void RunSchedule()
    {
        bool clusters = Parameters.Kind == ScheduleKind.Clusters;
        for (int step = 0; step < Parameters.Steps; step++)
        {
            NextStep();
            int dice = Random.Next(clusters ? 112 : 100);
            SimReplica[] live = [.. LiveReplicas];
            SimReplica? r = live.Length == 0 ? null : live[Random.Next(live.Length)];
            if (dice < 28 && r is not null)
            {
                DoAllocate(r, $"c{Random.Next(10)}", r.Cluster.Subnets[Random.Next(r.Cluster.Subnets.Length)]);
            }
            else if (dice < 38 && r is not null)
            {
                DoRelease(r);
            }
            else if (dice < 44 && r is not null)
            {
                Cidr range = r.Cluster.Range;
                uint address = range.Start + 1 + (uint)Random.Next((int)range.Size - 2);
                DoClaim(r, $"k{Random.Next(4)}", Ip4.ToAddress(address), range.PrefixLength);
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
                Partition();
            }
            else if (dice < 96)
            {
                Heal();
            }
            else if (dice < 98)
            {
                RemoveDeadPeer();
            }
            else if (dice < 100)
            {
                if (r is not null && live.Length > 1)
                {
                    DoHandOff(r);
                }
            }
            else if (dice < 104)
            {
                ProbeHealthyCluster();
            }
            else if (dice < 108)
            {
                if (r is not null)
                {
                    DoStrayRequest(r);
                }
            }
            else
            {
                CutLinks();
            }
            if (dice >= 81)
            {
                PeersChanged();
            }
            CheckOutstanding();
            CheckSafety();
            CheckAllocationsFollowOperations();
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
        bool everyAddress = Random.Next(2) == 0;
        AllocationResult result = everyAddress ? r.Allocator.Release(victim.Id).Done() : r.Allocator.Release(victim.Id, victim.Address).Done();
        Trace($"{r} release {victim}: {result.Message}");
        if (!result.Succeeded)
        {
            throw Fail($"{r} could not release {victim}: {result.Message}");
        }
        uint address = Ip4.ToUInt(victim.Address);
        r.Held.RemoveWhere(h => h.Id == victim.Id && (everyAddress || h.Address == address));
    }

    private void DoHandOff(SimReplica r)
    {
        if (!PeerViewOf(r).Any(o => o != r && Reachable(r, o)))
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
    /// changes reached everyone who will ever see them), then one to three peers of its cluster
    /// run rmpeer at once.
    /// </summary>
    private void RemoveDeadPeer()
    {
        SimCluster[] eligible = [.. Clusters.Where(c => c.Members.Count(x => !x.Gone) >= 3)];
        if (eligible.Length == 0)
        {
            return;
        }
        SimCluster cluster = eligible.Length == 1 ? eligible[0] : eligible[Random.Next(eligible.Length)];
        SimReplica[] candidates = [.. cluster.Members.Where(x => !x.Gone)];
        SimReplica dead = candidates[Random.Next(candidates.Length)];
        Trace($"{dead} dies for good");
        dead.Crash();
        dead.Gone = true;
        Quiesce();
        SimReplica[] live = [.. cluster.Members.Where(x => x.Live)];
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

    /// <summary>Heals, restarts every crashed peer, and runs ticks, gossip and lossless delivery until each cluster's rings agree.</summary>
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
            Advance(TickInterval);
            GossipRound(everyone: true);
            while (InFlight > 0)
            {
                DeliverOne(faults: false);
            }
            CheckSafety();
            if (Clusters.All(RingsAgree) && LiveReplicas.All(r => !r.Allocator!.Ring.IsEmpty))
            {
                return;
            }
        }
        throw Fail("the rings did not converge after healing: " + string.Join(" | ", LiveReplicas.Select(r => $"{r}: {r.Allocator!.Ring}")));
    }

    /// <summary>Every cluster runs with the allocator's default timings.</summary>
    private TimeSpan TickInterval => Clusters[0].Options.TickInterval;

    private TimeSpan RequestTimeout => Clusters[0].Options.RequestTimeout;

    private static bool RingsAgree(SimCluster cluster)
    {
        Ring? first = null;
        foreach (SimReplica r in cluster.Members.Where(r => r.Live))
        {
            first ??= r.Allocator!.Ring;
            if (!first.Equals(r.Allocator!.Ring))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Completed requests: a success is inside its subnet (or the claimed address), recorded
    /// unless released or crashed since, and counted in what the replica holds.
    /// </summary>
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
                r.Held.Add((o.Id, Ip4.ToUInt(result.Address!)));
            }
        }
    }

    /// <summary>The end: heal and settle; each cluster's rings identical; every request answered; every live peer can still allocate.</summary>
    private void Finish()
    {
        NextStep();
        Quiesce();
        Advance(RequestTimeout + TickInterval);
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
            Task<AllocationResult> task = r.Allocator!.Allocate("final", r.Cluster.Range);
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
            r.Held.Add(("final", Ip4.ToUInt(task.Result.Address!)));
            CheckSafety();
        }
        Quiesce();
        CheckSafety();
        CheckAllocationsFollowOperations();
    }
}

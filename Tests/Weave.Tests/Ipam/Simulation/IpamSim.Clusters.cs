using Weave.Ipam;

namespace Weave.Tests.Ipam.Simulation;

/// <summary>
/// The steps that matter when several clusters share the mesh: partitions that cut one cluster in
/// half or isolate one router, links cut so that a cluster's peers talk only through other
/// clusters' routers, requests for other clusters' addresses, and probes that a healthy cluster
/// keeps allocating whatever the others go through.
/// </summary>
internal sealed partial class IpamSim
{
    private const string ProbeId = "probe";

    /// <summary>Probes answered (all must be).</summary>
    public int Probes { get; private set; }

    /// <summary>Probes answered while some other cluster had a peer down or cut off.</summary>
    public int ProbesWhileAnotherClusterDown { get; private set; }

    /// <summary>Requests for another cluster's addresses, each refused at once.</summary>
    public int StrayRequestsRefused { get; private set; }

    /// <summary>
    /// Splits the mesh in two groups. One cluster: at random, as always. Several: at random, or
    /// one cluster cut in half (the rest of the mesh stays with one half), or one router cut off.
    /// </summary>
    private void Partition()
    {
        int kind = Parameters.Kind == ScheduleKind.OneCluster ? 0 : Random.Next(3);
        if (kind == 1 && Clusters.Where(c => c.Members.Count(m => !m.Gone) >= 2).ToArray() is { Length: > 0 } splittable)
        {
            SimCluster cluster = splittable[Random.Next(splittable.Length)];
            SimReplica[] members = [.. cluster.Members.Where(m => !m.Gone)];
            Random.Shuffle(members);
            SimReplica[] apart = members[..Random.Next(1, members.Length)];
            foreach (SimReplica x in Replicas)
            {
                x.Group = apart.Contains(x) ? 1 : 0;
            }
            Trace($"{cluster} cut in half: {string.Join(" ", apart.Select(x => x.ToString()))} apart from the rest of the mesh");
            return;
        }
        if (kind == 2)
        {
            SimReplica alone = Replicas[Random.Next(Replicas.Count)];
            foreach (SimReplica x in Replicas)
            {
                x.Group = x == alone ? 1 : 0;
            }
            Trace($"{alone} cut off");
            return;
        }
        foreach (SimReplica x in Replicas)
        {
            x.Group = Random.Next(2);
        }
        Trace("partition: " + string.Join(" ", Replicas.Select(x => $"{x}:{x.Group}")));
    }

    /// <summary>
    /// Cuts links without a partition: every link inside one cluster (its peers then reach each
    /// other only through other clusters' routers), or a third of all links at random.
    /// </summary>
    private void CutLinks()
    {
        if (Random.Next(2) == 0)
        {
            SimCluster cluster = Clusters[Random.Next(Clusters.Count)];
            foreach (SimReplica a in cluster.Members)
            {
                foreach (SimReplica b in cluster.Members.Where(b => b.Index > a.Index))
                {
                    CutLink(a, b);
                }
            }
            Trace($"every link inside {cluster} cut: its peers reach each other only through other clusters' routers");
            return;
        }
        foreach (SimReplica a in Replicas)
        {
            foreach (SimReplica b in Replicas.Where(b => b.Index > a.Index))
            {
                if (Random.Next(3) == 0)
                {
                    CutLink(a, b);
                }
            }
        }
        Trace($"links cut at random: {CutLinkCount} down");
    }

    /// <summary>
    /// Every peer of the cluster that is not gone for good is up and can reach the others (relayed
    /// or not), and no space is stranded with a peer that left: a hand-off that raced a grant to the
    /// leaver leaves that space with it until an operator runs rmpeer, as in Weave.
    /// </summary>
    public bool Healthy(SimCluster cluster)
    {
        SimReplica[] members = [.. cluster.Members.Where(m => !m.Gone)];
        return members.Length > 0 && members.All(m => m.Live) && members.All(m => Reachable(members[0], m)) &&
            !members.Any(m => m.Allocator!.Ring.Entries.ToArray().Any(e => ByName(e.Owner) is { Gone: true }));
    }

    /// <summary>
    /// Independence, as a step: a cluster whose peers are all up and reachable allocates (in any of
    /// its subnets, so often with space from a peer) and converges, whatever the other clusters are
    /// going through (cut in half, crashed, rmpeer). Only its messages are delivered (without loss)
    /// while time passes for everyone. No space is an answer only when the subnet is full.
    /// </summary>
    private void ProbeHealthyCluster()
    {
        SimCluster[] healthy = [.. Clusters.Where(Healthy)];
        if (healthy.Length == 0)
        {
            return;
        }
        SimCluster cluster = healthy[Random.Next(healthy.Length)];
        SimReplica[] members = [.. cluster.Members.Where(m => !m.Gone)];
        SimReplica r = members[Random.Next(members.Length)];
        Probe(cluster, r, cluster.Subnets[Random.Next(cluster.Subnets.Length)]);
    }

    /// <summary>The probe of a healthy cluster: <paramref name="r"/> allocates in <paramref name="subnet"/>, then releases it.</summary>
    public void Probe(SimCluster cluster, SimReplica r, Cidr subnet)
    {
        SimReplica[] members = [.. cluster.Members.Where(m => !m.Gone)];
        bool othersDown = Clusters.Any(c => c != cluster && !Healthy(c));
        Task<AllocationResult> task = r.Allocator!.Allocate(ProbeId, subnet);
        for (int second = 0; !task.IsCompleted && second <= RequestTimeout.TotalSeconds; second++)
        {
            GossipRound(everyone: true, only: cluster);
            DeliverWithin(cluster);
            Advance(TimeSpan.FromSeconds(1));
            DeliverWithin(cluster);
        }
        AllocationResult? result = task.IsCompleted ? task.Result : null;
        string context = $"{cluster}, every peer up and reachable{(othersDown ? " while another cluster was down" : "")}";
        bool full = result is { Error: IpamErrorKind.NoSpace } && Full(cluster, subnet);
        if (result is not { Succeeded: true } && !full)
        {
            throw Fail($"BLOCKED: {context}, could not allocate in {subnet} on {r}: {result?.Message ?? "no answer"}; " +
                string.Join(" | ", members.Select(m => $"{m}: {m.Allocator!.Ring}, holding {string.Join(" ", m.Allocator.List().Select(a => a.Address))}")));
        }
        GossipRound(everyone: true, only: cluster);
        DeliverWithin(cluster);
        if (!RingsAgree(cluster))
        {
            throw Fail($"NOT CONVERGED: {context}, its rings differ after every message was delivered: " +
                string.Join(" | ", members.Select(m => $"{m}: {m.Allocator!.Ring}")));
        }
        Probes++;
        ProbesWhileAnotherClusterDown += othersDown ? 1 : 0;
        Trace($"{r} probe of {cluster} in {subnet}{(othersDown ? " (another cluster down)" : "")}: {result}");
        if (full)
        {
            return;
        }
        r.Held.Add((ProbeId, Ip4.ToUInt(result!.Address!)));
        NoteRelease(r, ProbeId);
        AllocationResult released = r.Allocator!.Release(ProbeId).Done();
        if (!released.Succeeded)
        {
            throw Fail($"{r} could not release its probe: {released.Message}");
        }
        r.Held.RemoveWhere(h => h.Id == ProbeId);
    }

    /// <summary>Whether the cluster's live peers hold every host address of the subnet between them.</summary>
    private static bool Full(SimCluster cluster, Cidr subnet) =>
        cluster.Members.Where(m => m.Live).SelectMany(m => m.Allocator!.List()).Count(a => subnet.Contains(a.Address)) >= subnet.Size - 2;

    /// <summary>
    /// A request for another cluster's addresses (in one of its subnets, or a claim of its first,
    /// last or a random address, which lie next to ours when the ranges are side by side): refused
    /// at once as invalid.
    /// </summary>
    private void DoStrayRequest(SimReplica r)
    {
        SimCluster[] others = [.. Clusters.Where(c => c != r.Cluster)];
        if (others.Length == 0)
        {
            return;
        }
        SimCluster other = others[Random.Next(others.Length)];
        Task<AllocationResult> task;
        string what;
        if (Random.Next(2) == 0)
        {
            Cidr subnet = other.Subnets[Random.Next(other.Subnets.Length)];
            what = $"allocate in {subnet}";
            task = r.Allocator!.Allocate($"c{Random.Next(10)}", subnet);
        }
        else
        {
            uint address = Random.Next(3) switch
            {
                0 => other.Range.Start,
                1 => (uint)(other.Range.End - 1),
                _ => other.Range.Start + 1 + (uint)Random.Next((int)other.Range.Size - 2),
            };
            what = $"claim {Ip4.Format(address)}";
            task = r.Allocator!.Claim($"k{Random.Next(4)}", Ip4.ToAddress(address), other.Range.PrefixLength);
        }
        Trace($"{r} {what} of {other}: {(task.IsCompleted ? task.Result.ToString() : "pending")}");
        if (!task.IsCompleted || task.Result.Error != IpamErrorKind.Invalid)
        {
            throw Fail($"{r} of {r.Cluster} was asked to {what}, of {other}: " +
                $"{(task.IsCompleted ? task.Result.ToString() : "it waits")}; it must refuse at once");
        }
        StrayRequestsRefused++;
    }
}

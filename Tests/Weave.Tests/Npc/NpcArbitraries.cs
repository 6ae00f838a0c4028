using System.Collections.Immutable;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using Weave.Npc;

namespace Weave.Tests.Npc;

/// <summary>A seed from which a cluster and its flows are drawn (printed on failure; the same seed gives the same case).</summary>
public readonly record struct NpcSeed(int Value);

/// <summary>A cluster drawn from a seed, and flows through it.</summary>
internal sealed record RandomCluster(ClusterNamespace[] Namespaces, Pod[] Pods, NetworkPolicy[] Policies, Flow[] Flows);

/// <summary>
/// Random clusters for the engine's properties, drawn from an <see cref="NpcSeed"/>. Labels,
/// names and ports come from small alphabets, so that selectors, named ports and ipBlocks match
/// often and every rule gets exercised both ways; every policy is one the parser accepts.
/// </summary>
public static class NpcArbitraries
{
    public static Arbitrary<NpcSeed> Seeds() => Gen.Choose(0, int.MaxValue).Select(s => new NpcSeed(s)).ToArbitrary();

    private static readonly string[] s_keys = ["app", "tier", "env"];
    private static readonly string[] s_values = ["x", "y", "z"];
    private static readonly string[] s_namespaceNames = ["a", "b", "c"];
    private static readonly string[] s_portNames = ["http", "dns", "metrics"];
    private static readonly int[] s_portNumbers = [53, 80, 81, 8080, 9000];
    private static readonly string[] s_cidrs = ["10.32.0.0/16", "10.32.1.0/24", "0.0.0.0/0", "192.168.0.0/24", "203.0.113.0/24", "10.32.2.0/23"];
    private static readonly string[] s_externalAddresses = ["203.0.113.5", "203.0.113.200", "192.168.0.1", "8.8.8.8", "10.32.3.250"];

    internal static RandomCluster Cluster(Random random, int flows)
    {
        ClusterNamespace[] namespaces = [.. s_namespaceNames.Where(_ => random.Next(6) != 0).Select(n => new ClusterNamespace(n, RandomLabels(random)))];
        var pods = new Pod[random.Next(1, 9)];
        for (int i = 0; i < pods.Length; i++)
        {
            bool host = random.Next(8) == 0;
            string address = host ? $"192.168.0.{1 + random.Next(3)}" : $"10.32.{random.Next(3)}.{10 + i}";
            pods[i] = new Pod(Pick(random, s_namespaceNames), $"pod-{i}", RandomLabels(random), [IPAddress.Parse(address)], "node", host,
                [.. Enumerable.Range(0, random.Next(4)).Select(_ => new ContainerPort(random.Next(4) == 0 ? null : Pick(random, s_portNames), Pick(random, s_portNumbers), RandomProtocol(random)))]);
        }
        NetworkPolicy[] policies = [.. Enumerable.Range(0, random.Next(6)).Select(i => Policy(random, $"policy-{i}"))];
        Flow[] drawn = [.. Enumerable.Range(0, flows).Select(_ => Flow(random, pods))];
        return new RandomCluster(namespaces, pods, policies, drawn);
    }

    internal static NetworkPolicy Policy(Random random, string name)
    {
        var types = (PolicyTypes)random.Next(4);
        return new NetworkPolicy(Pick(random, s_namespaceNames), name, Selector(random), types, Rules(random), Rules(random));
    }

    internal static Pod Pod(Random random) => Cluster(random, 0).Pods[0];

    internal static ClusterNamespace Namespace(Random random) => new(Pick(random, s_namespaceNames), RandomLabels(random));

    private static ImmutableArray<PolicyRule> Rules(Random random) =>
        [.. Enumerable.Range(0, random.Next(4)).Select(_ => new PolicyRule(
            [.. Enumerable.Range(0, random.Next(3)).Select(_ => Peer(random))],
            [.. Enumerable.Range(0, random.Next(3)).Select(_ => Port(random))]))];

    private static PolicyPeer Peer(Random random) => random.Next(4) switch
    {
        0 => PolicyPeer.Pods(Selector(random), null),
        1 => PolicyPeer.Pods(null, Selector(random)),
        2 => PolicyPeer.Pods(Selector(random), Selector(random)),
        _ => PolicyPeer.Addresses(Block(random)),
    };

    private static IpBlock Block(Random random)
    {
        IPNetwork cidr = IPNetwork.Parse(Pick(random, s_cidrs));
        // An except is the cidr's first or second half, or a quarter of it, when it has room.
        ImmutableArray<IPNetwork> except = cidr.PrefixLength < 30 && random.Next(2) == 0
            ? [Subnet(cidr, cidr.PrefixLength + 1 + random.Next(2), random.Next(2))]
            : [];
        return new IpBlock(cidr, except);
    }

    private static IPNetwork Subnet(IPNetwork cidr, int prefix, int index)
    {
        uint start = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(cidr.BaseAddress.GetAddressBytes()) + ((uint)index << (32 - prefix));
        return new IPNetwork(new IPAddress([(byte)(start >> 24), (byte)(start >> 16), (byte)(start >> 8), (byte)start]), prefix);
    }

    private static PolicyPort Port(Random random) => random.Next(5) switch
    {
        0 => PolicyPort.AllOf(RandomProtocol(random)),
        1 => PolicyPort.Named(RandomProtocol(random), Pick(random, s_portNames)),
        2 => PolicyPort.Numbered(RandomProtocol(random), 80, 80 + random.Next(0, 8100)),
        _ => PolicyPort.Numbered(RandomProtocol(random), Pick(random, s_portNumbers)),
    };

    internal static LabelSelector Selector(Random random)
    {
        if (random.Next(3) == 0)
        {
            return LabelSelector.Everything;
        }
        var expressions = Enumerable.Range(0, random.Next(3)).Select(_ =>
        {
            var op = (SelectorOperator)random.Next(4);
            ImmutableArray<string> values = op is SelectorOperator.In or SelectorOperator.NotIn
                ? [.. s_values.Where(_ => random.Next(2) == 0).DefaultIfEmpty(s_values[0])]
                : [];
            return new LabelRequirement(Pick(random, s_keys), op, values);
        });
        return new LabelSelector(RandomLabels(random, most: 2), [.. expressions]);
    }

    private static ImmutableSortedDictionary<string, string> RandomLabels(Random random, int most = 3) =>
        Labels.Of(s_keys.Where(_ => random.Next(3) == 0).Take(most).Select(k => KeyValuePair.Create(k, Pick(random, s_values))));

    /// <summary>Half the time to a port the destination pod declares, so that named ports match often.</summary>
    private static Flow Flow(Random random, Pod[] pods)
    {
        FlowEndpoint source = Endpoint(random, pods);
        FlowEndpoint destination = Endpoint(random, pods);
        if (destination.Pod is { Ports.Length: > 0 } pod && random.Next(2) == 0)
        {
            ContainerPort port = pod.Ports[random.Next(pod.Ports.Length)];
            return new Flow(source, destination, port.Protocol, port.Number);
        }
        return new Flow(source, destination, RandomProtocol(random), Pick(random, s_portNumbers));
    }

    private static FlowEndpoint Endpoint(Random random, Pod[] pods) => random.Next(3) == 0
        ? FlowEndpoint.External(IPAddress.Parse(Pick(random, s_externalAddresses)))
        : FlowEndpoint.OfPod(pods[random.Next(pods.Length)]);

    private static PortProtocol RandomProtocol(Random random) => random.Next(6) switch
    {
        0 => PortProtocol.Udp,
        1 => PortProtocol.Sctp,
        _ => PortProtocol.Tcp,
    };

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}

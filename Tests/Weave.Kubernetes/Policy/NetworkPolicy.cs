namespace Weave.Kubernetes.Policy;

/// <summary>Which way a rule looks: at traffic into the selected pods, or out of them.</summary>
internal enum Direction
{
    Ingress,
    Egress,
}

internal enum Protocol
{
    Tcp,
    Udp,
}

/// <summary>
/// A NetworkPolicy as a scenario writes it. <see cref="Types"/> is <c>policyTypes</c> as written
/// (empty: the field is left out, and the API's defaulting applies). The suite's own record:
/// see <see cref="Selector"/>.
/// </summary>
internal sealed record NetworkPolicy(string Namespace, string Name, Selector PodSelector)
{
    public IReadOnlyList<Rule> Ingress { get; init; } = [];

    public IReadOnlyList<Rule> Egress { get; init; } = [];

    public IReadOnlyList<Direction> Types { get; init; } = [];

    public override string ToString() => $"{Namespace}/{Name}";
}

/// <summary>One <c>from</c>/<c>to</c> rule: no peers allows every peer, no ports every port.</summary>
internal sealed record Rule(IReadOnlyList<Peer> Peers, IReadOnlyList<PolicyPort> Ports)
{
    /// <summary>A rule with no peers and no ports: allows everything in its direction.</summary>
    public static Rule Everything { get; } = new([], []);

    public static Rule From(params Peer[] peers) => new(peers, []);

    public static Rule OnPorts(params PolicyPort[] ports) => new([], ports);
}

/// <summary>A peer: pods and/or namespaces by selector, or an address block.</summary>
internal sealed record Peer(Selector? Pods, Selector? Namespaces, IpBlock? Block)
{
    public static Peer PodsWhere(Selector pods) => new(pods, null, null);

    public static Peer NamespacesWhere(Selector namespaces) => new(null, namespaces, null);

    public static Peer PodsInNamespaces(Selector pods, Selector namespaces) => new(pods, namespaces, null);

    public static Peer Addresses(string cidr, params string[] except) => new(null, null, new IpBlock(cidr, except));
}

internal sealed record IpBlock(string Cidr, IReadOnlyList<string> Except);

/// <summary>A port entry: a number, a name (a container port of the destination pod), or neither (every port of the protocol). No protocol means TCP.</summary>
internal sealed record PolicyPort(Protocol? Protocol, int? Number, string? Name)
{
    public static PolicyPort Tcp(int number) => new(Policy.Protocol.Tcp, number, null);

    public static PolicyPort Udp(int number) => new(Policy.Protocol.Udp, number, null);

    public static PolicyPort Named(string name, Protocol? protocol = null) => new(protocol, null, name);

    public static PolicyPort AnyOf(Protocol protocol) => new(protocol, null, null);
}

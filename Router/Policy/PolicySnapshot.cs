using System.Collections.Immutable;
using Weave.Npc;

namespace Weave.Router.Policy;

/// <summary>
/// The cluster as the controller last saw it: the objects it could read, and those it refused with
/// why. Immutable, so the HTTP handlers (explain, status) read it while the loop moves on.
/// </summary>
public sealed class PolicySnapshot
{
    private readonly Lazy<PolicyEngine> _engine;

    public PolicySnapshot(long generation, ImmutableArray<ClusterNamespace> namespaces, ImmutableArray<Pod> pods,
        ImmutableArray<NetworkPolicy> policies, ImmutableArray<RefusedObject> refused)
    {
        Generation = generation;
        Namespaces = namespaces;
        Pods = pods;
        Policies = policies;
        Refused = refused;
        _engine = new Lazy<PolicyEngine>(() => new PolicyEngine(namespaces, pods, policies));
    }

    public static PolicySnapshot Empty { get; } = new(0, [], [], [], []);

    /// <summary>Counts the changes seen: a newer snapshot has a larger one.</summary>
    public long Generation { get; }

    public ImmutableArray<ClusterNamespace> Namespaces { get; }

    public ImmutableArray<Pod> Pods { get; }

    public ImmutableArray<NetworkPolicy> Policies { get; }

    public ImmutableArray<RefusedObject> Refused { get; }

    /// <summary>The semantics over this snapshot, built on first use (only explain needs it).</summary>
    public PolicyEngine Engine => _engine.Value;
}

/// <summary>An object the controller could not read, and why (the parser's one-line reason).</summary>
public sealed record RefusedObject(string Resource, string Key, string Reason);

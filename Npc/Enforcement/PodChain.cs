using System.Collections.Immutable;

namespace Weave.Npc.Enforcement;

/// <summary>
/// The chain a new flow of an isolated local pod jumps to, for one direction: its
/// <see cref="Rules"/> in order, then a drop counted by the counter of the same
/// <see cref="Name"/>. <see cref="IsolatedBy"/> names the policies that isolate the pod, for the
/// drop's comment.
/// </summary>
public sealed record PodChain(string Name, FlowDirection Direction, Pod Pod, ImmutableArray<string> IsolatedBy, ImmutableArray<ChainRule> Rules);

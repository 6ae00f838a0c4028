namespace Weave.Kube.Peers;

/// <summary>One router of the cluster as the peer list records it: its peer name and its node.</summary>
public sealed record PeerEntry(string PeerName, string NodeName);

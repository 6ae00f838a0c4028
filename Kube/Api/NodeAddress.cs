namespace Weave.Kube.Api;

/// <summary>One of a Node's addresses: <see cref="Type"/> is InternalIP, ExternalIP, Hostname, ...</summary>
public sealed record NodeAddress(string Type, string Address);

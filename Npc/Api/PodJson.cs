namespace Weave.Npc.Api;

/// <summary>A v1 Pod, only the fields policies read: labels, node, hostNetwork, container ports, addresses.</summary>
internal sealed record PodJson
{
    public ObjectMetaJson? Metadata { get; init; }
    public PodSpecJson? Spec { get; init; }
    public PodStatusJson? Status { get; init; }
}

internal sealed record PodSpecJson
{
    public string? NodeName { get; init; }
    public bool HostNetwork { get; init; }
    public List<ContainerJson>? Containers { get; init; }
}

internal sealed record ContainerJson
{
    public List<ContainerPortJson>? Ports { get; init; }
}

internal sealed record ContainerPortJson
{
    public string? Name { get; init; }
    public int ContainerPort { get; init; }
    public string? Protocol { get; init; }
}

internal sealed record PodStatusJson
{
    public string? PodIP { get; init; }
    public List<PodIPJson>? PodIPs { get; init; }
}

internal sealed record PodIPJson
{
    public string? Ip { get; init; }
}

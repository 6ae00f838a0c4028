namespace Weave.Kube.Api;

/// <summary>The API server's answer to a failed request (kind Status): why, as a reason and a sentence.</summary>
public sealed record KubeStatus
{
    public string? Kind { get; init; }
    public int Code { get; init; }
    public string? Reason { get; init; }
    public string? Message { get; init; }
}

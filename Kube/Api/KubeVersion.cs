namespace Weave.Kube.Api;

/// <summary>The server's version, as <c>GET /version</c> answers.</summary>
public sealed record KubeVersion
{
    public string? GitVersion { get; init; }
}

namespace Weave.Kube.Api;

/// <summary>A kind of object listed and watched across the whole cluster: its plural name (for log lines and RBAC) and its collection's path.</summary>
public sealed record KubeResource(string Name, string Path)
{
    public static readonly KubeResource Pods = new("pods", "/api/v1/pods");

    public static readonly KubeResource Namespaces = new("namespaces", "/api/v1/namespaces");

    public static readonly KubeResource NetworkPolicies = new("networkpolicies", "/apis/networking.k8s.io/v1/networkpolicies");

    public override string ToString() => Name;
}

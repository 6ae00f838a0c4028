using System.Net;

namespace Weave.Kube.Api;

/// <summary>
/// A request the API server refused or could not be asked. <see cref="What"/> names the request
/// (<c>list nodes</c>, <c>update configmaps kube-system/weave-net</c>), so a missing RBAC verb or an
/// unreachable server shows in one line.
/// </summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException()
    {
        What = "";
    }

    public KubeApiException(string message)
        : base(message)
    {
        What = "";
    }

    public KubeApiException(string message, Exception inner)
        : base(message, inner)
    {
        What = "";
    }

    public KubeApiException(string what, HttpStatusCode? status, string? reason, string message, Exception? inner = null)
        : base(message, inner)
    {
        What = what;
        Status = status;
        Reason = reason;
    }

    /// <summary>The request, as a verb and a resource: <c>list nodes</c>.</summary>
    public string What { get; }

    /// <summary>The HTTP status, or null when the server was not reached.</summary>
    public HttpStatusCode? Status { get; }

    /// <summary>The API's reason (<c>Forbidden</c>, <c>Conflict</c>, <c>NotFound</c>, <c>Expired</c>), if it gave one.</summary>
    public string? Reason { get; }

    public bool IsConflict => Status == HttpStatusCode.Conflict;
    public bool IsNotFound => Status == HttpStatusCode.NotFound;
    public bool IsAlreadyExists => Status == HttpStatusCode.Conflict && Reason == "AlreadyExists";

    /// <summary>RBAC: the service account lacks the verb on the resource.</summary>
    public bool IsForbidden => Status == HttpStatusCode.Forbidden;

    /// <summary>The server was not reached, or answered that it is not serving (5xx): worth retrying.</summary>
    public bool IsUnavailable => Status is null || (int)Status >= 500;
}

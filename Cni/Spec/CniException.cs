namespace Weave.Cni.Spec;

/// <summary>A failure to report to the runtime as the spec's error JSON: a code from
/// <see cref="CniErrorCode"/>, a message naming what was wrong, and optional details.</summary>
public sealed class CniException : Exception
{
    public CniException(int code, string message, string? details = null) : base(message)
    {
        Code = code;
        Details = details;
    }

    public CniException()
    {
    }

    public CniException(string message) : base(message)
    {
    }

    public CniException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public int Code { get; }

    public string? Details { get; }
}

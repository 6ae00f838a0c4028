namespace Weave.Router.Launch;

/// <summary>The router cannot start; the message is the one line the operator sees.</summary>
public sealed class LaunchException : Exception
{
    public LaunchException(string message) : base(message)
    {
    }

    public LaunchException()
    {
    }

    public LaunchException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

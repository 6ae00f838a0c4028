namespace Weave.Gossip.Protocol;

/// <summary>A peer broke the control protocol (handshake or framing); the message says how, for the log and status.</summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string message) : base(message)
    {
    }

    public ProtocolException()
    {
    }

    public ProtocolException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

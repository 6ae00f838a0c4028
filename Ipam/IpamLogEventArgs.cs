namespace Weave.Ipam;

public enum IpamLogLevel
{
    Debug,
    Information,
    Warning,
    Error,
}

/// <summary>A log line from the allocator, with an event ID in the IPAM block (3000–3999).</summary>
public sealed class IpamLogEventArgs(IpamLogLevel level, int eventId, string message) : EventArgs
{
    public IpamLogLevel Level { get; } = level;
    public int EventId { get; } = eventId;
    public string Message { get; } = message;

    public override string ToString() => $"{Level} {EventId}: {Message}";
}

namespace Weave.Linux;

/// <summary>What one <see cref="TapWriter"/> wrote; written only by that writer's thread.</summary>
public sealed class TapWriterCounters
{
    /// <summary>TAP writes accepted: a frame, or a super-frame of coalesced segments.</summary>
    public long Written;

    /// <summary>Frames the TAP refused (its queue full, or the link down).</summary>
    public long Refused;

    /// <summary>Frames merged into the super-frame before them.</summary>
    public long Coalesced;
}

namespace Weave.Router.DataPlane;

/// <summary>What one receiving path delivered to the bridge; written only by its <see cref="BridgeWriter"/>'s thread.</summary>
internal sealed class DeliveryCounters
{
    /// <summary>TAP writes accepted: a frame, or a super-frame of coalesced segments.</summary>
    public long Written;

    /// <summary>Frames the TAP refused (its queue full, or the link down).</summary>
    public long Refused;

    /// <summary>Frames merged into the super-frame before them.</summary>
    public long Coalesced;
}

using Weave.Ipam.Store;

namespace Weave.Ipam;

/// <summary>
/// One write of the allocator's state: what changed since the last one, and what waits for it
/// (answers and messages, let out when it is durable).
/// </summary>
public sealed class StateWrite
{
    internal StateWrite(IpamChanges changes, List<Action<bool>> held, byte[] fullState, bool handedOff)
    {
        Changes = changes;
        Held = held;
        FullState = fullState;
        HandedOff = handedOff;
    }

    public IpamChanges Changes { get; }

    /// <summary>How many answers and messages wait for this write.</summary>
    public int Waiting => Held.Count;

    internal List<Action<bool>> Held { get; }

    /// <summary>What <see cref="Allocator.FullState"/> gossips while later changes are not yet durable.</summary>
    internal byte[] FullState { get; }

    internal bool HandedOff { get; }
}

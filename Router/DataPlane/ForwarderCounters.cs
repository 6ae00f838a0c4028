namespace Weave.Router.DataPlane;

/// <summary>
/// Data-plane counters. Each field has a single writer (the TAP thread or the UDP thread, as
/// noted), so increments need no atomics; readers may see a slightly stale value.
/// </summary>
public sealed class ForwarderCounters
{
    // Written by the TAP thread.
    public long FramesFromBridge;
    public long DatagramsSent;
    public long SendFailures;
    public long DropsTooShort;
    public long DropsLooped;
    public long DropsNoPeers;

    // Written by the UDP thread.
    public long DatagramsReceived;
    public long FramesToBridge;
    public long DropsBadHeader;
    public long DropsUnknownSender;
    public long DropsBridgeRefused;
}

using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>The TAP thread: frames from the bridge to peers (<see cref="BridgeReader"/>), our heartbeats, and the sockets while traffic is light (Forwarder.Handoff.cs).</summary>
public sealed partial class Forwarder
{
    private readonly BridgeReader _bridge;

    private void TapLoop()
    {
        var frames = new PacketBatch(_tap.BatchSize, allocateBuffers: true);
        IDataReadiness? readiness = Readiness;
        RunUntilStopped(() =>
        {
            if (readiness is null)
            {
                frames.Count = _tap.Read(frames, PollMilliseconds);
                _bridge.Forward(frames);
            }
            else
            {
                ServeReady(readiness, frames); // the TAP, and the sockets while traffic is light
            }
            SendHeartbeats(_time.GetTimestamp());
        });
    }
}

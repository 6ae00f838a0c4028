namespace Weave.Linux;

/// <summary>Whole Ethernet frames to and from one interface, below IP (<see cref="PacketSocket"/>);
/// the seam where the router's kernel-path probes leave and arrive, faked in tests.</summary>
public interface IFramePort
{
    /// <exception cref="LinuxError">The kernel refused the frame.</exception>
    void Send(ReadOnlySpan<byte> frame);

    /// <summary>The next frame into <paramref name="buffer"/>, waiting up to
    /// <paramref name="timeoutMilliseconds"/>; 0 when none came in time.</summary>
    int Receive(Span<byte> buffer, int timeoutMilliseconds);
}

using Weave.Linux;

namespace Weave.Tests.Linux;

/// <summary>A test's read of the wire: the next frame as an array, empty when none came in time.</summary>
internal static class PacketSocketReads
{
    public static byte[] Receive(this PacketSocket socket, TimeSpan timeout)
    {
        byte[] buffer = new byte[2048];
        int n = socket.Receive(buffer, (int)timeout.TotalMilliseconds);
        return buffer[..n];
    }
}

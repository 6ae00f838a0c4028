using System.Collections.Concurrent;
using Weave.Linux;

namespace Weave.Tests.Router.Fakes;

/// <summary>An <see cref="IFramePort"/> that keeps what is sent and hands out what a test queues.</summary>
internal sealed class RecordingFramePort : IFramePort
{
    public ConcurrentQueue<byte[]> Sent { get; } = new();

    public ConcurrentQueue<byte[]> ToReceive { get; } = new();

    /// <summary>When set, sends throw it (the device is down).</summary>
    public LinuxError? Failure { get; set; }

    public void Send(ReadOnlySpan<byte> frame)
    {
        if (Failure is not null)
        {
            throw Failure;
        }
        Sent.Enqueue(frame.ToArray());
    }

    public int Receive(Span<byte> buffer, int timeoutMilliseconds)
    {
        if (!ToReceive.TryDequeue(out byte[]? frame))
        {
            Thread.Sleep(Math.Min(timeoutMilliseconds, 5));
            return 0;
        }
        frame.AsSpan(0, Math.Min(frame.Length, buffer.Length)).CopyTo(buffer);
        return Math.Min(frame.Length, buffer.Length);
    }
}

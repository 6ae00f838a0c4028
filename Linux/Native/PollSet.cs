using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>
/// One thread waiting on a TAP device and UDP sockets at once (poll), as a one-thread forwarder
/// does, with an eventfd that another thread signals (<see cref="Wake"/>) to make it wait on a
/// different set. The descriptors stay their owners': a wait holds a reference on each, so one
/// closed meanwhile is closed after the wait returns, never reused under it.
/// </summary>
public sealed unsafe class PollSet : IDisposable
{
    /// <summary>The most descriptors a set holds (a bit each in <see cref="Wait"/>'s mask).</summary>
    public const int MaxSources = 8;

    /// <summary>The bit <see cref="Wait"/> sets when <see cref="Wake"/> ended it.</summary>
    public const int WokenBit = 1 << MaxSources;

    private readonly FileDescriptorHandle[] _sources;
    private readonly FileDescriptorHandle _wake;
    private volatile bool _disposed;

    private PollSet(FileDescriptorHandle[] sources, FileDescriptorHandle wake)
    {
        _sources = sources;
        _wake = wake;
    }

    /// <summary>A set of <paramref name="tap"/> (bit 0) and <paramref name="sockets"/> (bits 1, 2 ...).</summary>
    /// <exception cref="LinuxError">eventfd() failed.</exception>
    public static PollSet Create(TapDevice tap, params ReadOnlySpan<UdpBatchSocket> sockets)
    {
        ArgumentNullException.ThrowIfNull(tap);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sockets.Length, MaxSources - 1);
        var sources = new FileDescriptorHandle[sockets.Length + 1];
        sources[0] = tap.Descriptor;
        for (int i = 0; i < sockets.Length; i++)
        {
            sources[i + 1] = sockets[i].Descriptor;
        }
        return new PollSet(sources, FileDescriptorHandle.CreateEventFd("eventfd for a poll set"));
    }

    /// <summary>A set of other descriptors of this library (bit 0, 1 ...), such as a netlink socket's.</summary>
    /// <exception cref="LinuxError">eventfd() failed.</exception>
    internal static PollSet ForDescriptors(params ReadOnlySpan<FileDescriptorHandle> sources)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sources.Length, MaxSources);
        return new PollSet(sources.ToArray(), FileDescriptorHandle.CreateEventFd("eventfd for a poll set"));
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMilliseconds"/> until one of the sources whose bits are set
    /// in <paramref name="mask"/> has something to read (or an error to report: the read says
    /// which), or until <see cref="Wake"/>. Returns the bits of those ready, with
    /// <see cref="WokenBit"/> when woken (each wake is reported once); 0 on timeout or signal.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The set or one of the waited-on descriptors was disposed.</exception>
    /// <exception cref="LinuxError">poll() failed otherwise.</exception>
    public int Wait(int mask, int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        LibCShims.PollFd* fds = stackalloc LibCShims.PollFd[MaxSources + 1];
        Span<int> bits = stackalloc int[MaxSources + 1];
        int count = 0;
        int added = 0;    // the sources referenced so far, released in finally
        bool wakeAdded = false;
        try
        {
            for (int i = 0; i < _sources.Length; i++)
            {
                if ((mask & (1 << i)) == 0)
                {
                    continue;
                }
                bool referenced = false;
                _sources[i].AddRefOrThrow(ref referenced, typeof(PollSet));
                added |= 1 << i;
                fds[count] = new LibCShims.PollFd { Fd = _sources[i].Fd, Events = LibC.POLLIN };
                bits[count++] = 1 << i;
            }
            _wake.AddRefOrThrow(ref wakeAdded, typeof(PollSet));
            fds[count] = new LibCShims.PollFd { Fd = _wake.Fd, Events = LibC.POLLIN };
            int result = LibCShims.poll(fds, (nuint)(count + 1), timeoutMilliseconds);
            if (result < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    return 0;
                }
                throw new LinuxError("poll of a TAP and its sockets", errno);
            }
            int ready = 0;
            if (fds[count].Revents != 0)
            {
                ulong drained;
                _ = LibC.read(_wake.Fd, &drained, sizeof(ulong));
                ready = WokenBit;
            }
            for (int k = 0; k < count; k++)
            {
                if (fds[k].Revents != 0)
                {
                    ready |= bits[k];
                }
            }
            return ready;
        }
        finally
        {
            for (int i = 0; i < _sources.Length; i++)
            {
                if ((added & (1 << i)) != 0)
                {
                    _sources[i].DangerousRelease();
                }
            }
            if (wakeAdded)
            {
                _wake.DangerousRelease();
            }
        }
    }

    /// <summary>Makes a <see cref="Wait"/> in progress (or the next one) return at once. Any thread.</summary>
    public void Wake() => _wake.SignalEventFd();

    /// <summary>Wakes a waiting thread and closes the eventfd (once no wait holds it); the sources are not closed.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Wake();
        _wake.Dispose();
    }
}

using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>
/// A non-blocking descriptor that one thread waits on (for a frame to read, for room to send)
/// while another may close it. It comes with an eventfd that <see cref="Dispose"/> signals, so a
/// poll() on the pair returns at once, and a call holds both (<see cref="Enter"/>) so that their
/// numbers are closed only after the last call returns and are never reused under one. The TAP
/// device and the UDP sockets are built on it; <see cref="PollSet"/> waits on several at once.
/// Nothing here allocates after <see cref="Create"/>.
/// </summary>
internal sealed unsafe class WakeableDescriptor : IDisposable
{
    private readonly FileDescriptorHandle _wake;
    private readonly string _label;
    private readonly Type _owner;
    private volatile bool _disposed;

    private WakeableDescriptor(FileDescriptorHandle descriptor, FileDescriptorHandle wake, string label, Type owner)
    {
        Descriptor = descriptor;
        _wake = wake;
        _label = label;
        _owner = owner;
    }

    /// <summary>Pairs <paramref name="descriptor"/> (which it then owns) with a new eventfd.</summary>
    /// <param name="label">What the descriptor is, in errors: "poll " + label.</param>
    /// <param name="owner">The type a call on a disposed descriptor names.</param>
    /// <exception cref="LinuxError">eventfd() failed; the descriptor is left to the caller.</exception>
    public static WakeableDescriptor Create(FileDescriptorHandle descriptor, string label, Type owner) =>
        new(descriptor, FileDescriptorHandle.CreateEventFd("eventfd for " + label), label, owner);

    public FileDescriptorHandle Descriptor { get; }

    public int Fd => Descriptor.Fd;

    /// <exception cref="ObjectDisposedException">The descriptor was disposed.</exception>
    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, _owner);

    /// <summary>Holds the descriptor (and the eventfd too, for a call that may <see cref="WaitReady"/>)
    /// until the returned lease is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The descriptor was disposed.</exception>
    public Lease Enter(bool mayWait)
    {
        ThrowIfDisposed();
        bool descriptorAdded = false;
        bool wakeAdded = false;
        try
        {
            Descriptor.AddRefOrThrow(ref descriptorAdded, _owner);
            if (mayWait)
            {
                _wake.AddRefOrThrow(ref wakeAdded, _owner);
            }
            return new Lease(this, descriptorAdded, wakeAdded);
        }
        catch
        {
            if (descriptorAdded)
            {
                Descriptor.DangerousRelease();
            }
            throw;
        }
    }

    /// <summary>
    /// Waits (inside a lease from <c>Enter(mayWait: true)</c>) until the descriptor is ready for
    /// <paramref name="events"/> or a signal interrupted the wait (true: the caller tries again), or
    /// until the time is up (false).
    /// </summary>
    /// <exception cref="ObjectDisposedException">Disposed before or during the wait.</exception>
    /// <exception cref="LinuxError">poll() failed otherwise.</exception>
    public bool WaitReady(short events, int timeoutMilliseconds)
    {
        LibCShims.PollFd* fds = stackalloc LibCShims.PollFd[2];
        fds[0] = new LibCShims.PollFd { Fd = Descriptor.Fd, Events = events };
        fds[1] = new LibCShims.PollFd { Fd = _wake.Fd, Events = LibC.POLLIN };
        int ready = LibCShims.poll(fds, 2, timeoutMilliseconds);
        if (ready < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                return true;
            }
            throw new LinuxError("poll " + _label, errno);
        }
        ObjectDisposedException.ThrowIf(fds[1].Revents != 0 || _disposed, _owner);
        return ready > 0;
    }

    /// <summary>Wakes a waiting call and closes both descriptors once no call holds them. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _wake.SignalEventFd();
        Descriptor.Dispose();
        _wake.Dispose();
    }

    /// <summary>The references a call holds; disposing releases them.</summary>
    public readonly ref struct Lease(WakeableDescriptor owner, bool descriptorAdded, bool wakeAdded)
    {
        public void Dispose()
        {
            if (wakeAdded)
            {
                owner._wake.DangerousRelease();
            }
            if (descriptorAdded)
            {
                owner.Descriptor.DangerousRelease();
            }
        }
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;

namespace Weave.Linux;

/// <summary>
/// A TAP device opened on /dev/net/tun (IFF_TAP | IFF_NO_PI, and IFF_VNET_HDR when made by
/// <see cref="CreateWithVirtioNetHeader"/>). It is not persistent: the kernel removes the interface
/// when the descriptor is closed, by <see cref="Dispose"/> or by the process dying. The descriptor
/// is O_NONBLOCK | O_CLOEXEC.
/// </summary>
/// <remarks>
/// One thread may <see cref="Read(Span{byte}, int)"/> while others call <see cref="TryWrite(ReadOnlySpan{byte})"/>.
/// <see cref="Dispose"/> wakes a reader blocked in poll() through an eventfd, and the descriptors
/// are closed only when the last in-flight call has returned (SafeHandle reference counting), so a
/// descriptor number is never reused under a running call. Reads and writes allocate nothing.
/// As an <see cref="ITapDevice"/> it moves a frame per system call (a TAP has no batched read);
/// with offloads a frame is up to a 64 KB super-frame, so a call moves up to 45 MTU-sized frames.
/// </remarks>
public sealed class TapDevice : ITapDevice
{
    private const int ReadBatchFrames = 32;

    private readonly WakeableDescriptor _tap;

    private TapDevice(WakeableDescriptor tap, string name, int interfaceIndex, int virtioNetHeaderSize, TapOffloads offloads)
    {
        _tap = tap;
        Name = name;
        InterfaceIndex = interfaceIndex;
        VirtioNetHeaderSize = virtioNetHeaderSize;
        Offloads = offloads;
    }

    /// <summary>A read buffer that holds any frame of a virtio-header TAP: the 10-byte header, an
    /// Ethernet header with one VLAN tag, an IPv6 header and a 64 KB payload.</summary>
    public const int SuperFrameBufferBytes = VirtioNetHeader.Size + 18 + 40 + 65_535;

    /// <summary>/dev/net/tun exists and is a character device.</summary>
    public static unsafe bool IsSupported
    {
        get
        {
            byte[] path = Encoding.UTF8.GetBytes(TunConstants.DevicePath + "\0");
            statx buffer;
            fixed (byte* p = path)
            {
                if (LibC.statx(LibC.AT_FDCWD, p, 0, LibC.STATX_TYPE, &buffer) != 0)
                {
                    return false;
                }
            }
            return LibC.S_ISCHR(buffer.stx_mode);
        }
    }

    /// <summary>The device's descriptor, for a <see cref="PollSet"/>.</summary>
    internal FileDescriptorHandle Descriptor => _tap.Descriptor;

    /// <summary>The interface name the kernel gave the device (the requested one).</summary>
    public string Name { get; }

    /// <summary>The interface index, read right after creation.</summary>
    public int InterfaceIndex { get; }

    /// <summary>0 for a plain TAP; <see cref="VirtioNetHeader.Size"/> (10) when every frame read
    /// or written starts with a virtio_net_hdr.</summary>
    public int VirtioNetHeaderSize { get; }

    /// <summary>The offloads set with TUNSETOFFLOAD (<see cref="TapOffloads.None"/> for a plain TAP).</summary>
    public TapOffloads Offloads { get; }

    /// <summary>Creates the TAP interface <paramref name="name"/> in the network namespace of the
    /// calling thread. The interface starts down.</summary>
    /// <exception cref="ArgumentException">The name is not a valid interface name.</exception>
    /// <exception cref="LinuxError">Opening /dev/net/tun or TUNSETIFF failed (EBUSY when a TAP of
    /// that name is open elsewhere, EINVAL when another kind of link has that name).</exception>
    public static TapDevice Create(string name) => Create(name, virtioNetHeader: false, TapOffloads.None);

    /// <summary>
    /// Creates the TAP interface <paramref name="name"/> with IFF_VNET_HDR, a 10-byte header
    /// (TUNSETVNETHDRSZ) and <paramref name="offloads"/> (TUNSETOFFLOAD). Every frame
    /// <see cref="Read(Span{byte}, int)"/> returns then starts with a <see cref="VirtioNetHeader"/>, and every frame
    /// given to <see cref="TryWrite"/> must start with one (all zero for a complete frame). With
    /// segmentation offloads a frame can be a 64 KB super-frame: read into buffers of
    /// <see cref="SuperFrameBufferBytes"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not a valid interface name.</exception>
    /// <exception cref="LinuxError">Opening /dev/net/tun, TUNSETIFF, TUNSETVNETHDRSZ or
    /// TUNSETOFFLOAD failed (EINVAL from TUNSETOFFLOAD when the kernel lacks an offload, or a
    /// segmentation offload is asked without <see cref="TapOffloads.Checksum"/>).</exception>
    public static TapDevice CreateWithVirtioNetHeader(string name, TapOffloads offloads = TapOffloads.Tcp) =>
        Create(name, virtioNetHeader: true, offloads);

    private static unsafe TapDevice Create(string name, bool virtioNetHeader, TapOffloads offloads)
    {
        InterfaceName.Validate(name, nameof(name));
        byte[] path = Encoding.UTF8.GetBytes(TunConstants.DevicePath + "\0");
        int fd;
        fixed (byte* p = path)
        {
            fd = LibC.open(p, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        }
        if (fd < 0)
        {
            throw LinuxError.FromLastError("open " + TunConstants.DevicePath);
        }
        var tap = new FileDescriptorHandle(fd);
        try
        {
            byte* ifr = stackalloc byte[TunConstants.IfReqSize];
            new Span<byte>(ifr, TunConstants.IfReqSize).Clear();
            Encoding.UTF8.GetBytes(name, new Span<byte>(ifr, InterfaceName.IFNAMSIZ - 1));
            short flags = TunConstants.IFF_TAP | TunConstants.IFF_NO_PI;
            if (virtioNetHeader)
            {
                flags |= TunConstants.IFF_VNET_HDR;
            }
            *(short*)(ifr + TunConstants.IfReqFlagsOffset) = flags;
            if (LibCShims.ioctl(fd, TunConstants.TUNSETIFF, ifr) != 0)
            {
                throw LinuxError.FromLastError("TUNSETIFF " + name);
            }
            if (virtioNetHeader)
            {
                int size = VirtioNetHeader.Size;
                if (LibCShims.ioctl(fd, TunConstants.TUNSETVNETHDRSZ, &size) != 0)
                {
                    throw LinuxError.FromLastError("TUNSETVNETHDRSZ " + name);
                }
                // The flags travel in the argument itself, not behind a pointer.
                if (LibCShims.ioctl(fd, TunConstants.TUNSETOFFLOAD, (void*)(nuint)(uint)offloads) != 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    throw new LinuxError($"TUNSETOFFLOAD {name} ({offloads})", errno);
                }
            }
            ifr[InterfaceName.IFNAMSIZ - 1] = 0;
            string actual = Marshal.PtrToStringUTF8((nint)ifr) ?? name;
            uint index = LibCShims.if_nametoindex(ifr);
            if (index == 0)
            {
                throw LinuxError.FromLastError("if_nametoindex " + actual);
            }
            return new TapDevice(WakeableDescriptor.Create(tap, actual, typeof(TapDevice)), actual, (int)index,
                virtioNetHeader ? VirtioNetHeader.Size : 0, virtioNetHeader ? offloads : TapOffloads.None);
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads one Ethernet frame into <paramref name="frame"/>, which should hold the MTU plus 18
    /// bytes of Ethernet and VLAN header (plus <see cref="VirtioNetHeaderSize"/>, or
    /// <see cref="SuperFrameBufferBytes"/> in all with segmentation offloads): the kernel silently
    /// truncates a longer frame to the buffer (and discards the rest). On a virtio-header TAP the
    /// frame starts with the <see cref="VirtioNetHeader"/>. Returns the frame's length, or 0 when none arrived within
    /// <paramref name="timeoutMilliseconds"/> (-1 waits forever). poll() is used only after read()
    /// returned EAGAIN; EINTR is retried.
    /// </summary>
    /// <exception cref="LinuxError">read() or poll() failed otherwise.</exception>
    /// <exception cref="ObjectDisposedException">The device was disposed, before or during the call.</exception>
    public unsafe int Read(Span<byte> frame, int timeoutMilliseconds)
    {
        if (frame.IsEmpty)
        {
            throw new ArgumentException("The frame buffer is empty.", nameof(frame));
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(timeoutMilliseconds, -1);
        using WakeableDescriptor.Lease lease = _tap.Enter(mayWait: true);
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            _tap.ThrowIfDisposed();
            nint n;
            fixed (byte* p = frame)
            {
                n = (nint)LibC.read(_tap.Fd, p, frame.Length);
            }
            if (n >= 0)
            {
                return (int)Math.Min(n, frame.Length);
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                continue;
            }
            if (errno != LibC.EAGAIN)
            {
                throw new LinuxError("read " + Name, errno);
            }
            int remaining = PollTimeout.RemainingMilliseconds(start, timeoutMilliseconds);
            if (remaining == 0 || !_tap.WaitReady(LibC.POLLIN, remaining))
            {
                return 0;
            }
        }
    }

    public int BatchSize => ReadBatchFrames;

    public bool SupportsOffloads => VirtioNetHeaderSize == VirtioNetHeader.Size;

    /// <summary>
    /// Fills <paramref name="batch"/> with the frames already queued once the first arrives (see
    /// <see cref="ITapDevice.Read"/>). The virtio header is read in the headroom, in front of its
    /// frame. A partial checksum is completed here, so what leaves the device is either complete or
    /// a super-frame; a header the kernel would not write (a checksum outside the frame) drops the
    /// frame rather than hand over garbage.
    /// </summary>
    public int Read(PacketBatch batch, int timeoutMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int limit = Math.Min(batch.Capacity, ReadBatchFrames);
        int header = VirtioNetHeaderSize;
        int count = 0;
        while (count < limit)
        {
            Span<byte> space = batch.Buffers[count].AsSpan(PacketBatch.Headroom - header);
            int length = Read(space, count == 0 ? timeoutMilliseconds : 0);
            if (length == 0)
            {
                break;
            }
            ref VirtioNetHeader offload = ref batch.Offloads[count];
            offload = default;
            if (header > 0 && (length < header || !VirtioNetHeader.TryRead(space, out offload) || !TryCompleteChecksum(space[header..length], ref offload)))
            {
                continue;
            }
            batch.Offsets[count] = PacketBatch.Headroom;
            batch.Lengths[count] = length - header;
            count++;
        }
        batch.Count = count;
        return count;
    }

    /// <summary>
    /// Writes each frame of <paramref name="batch"/> with its offloads (on a virtio-header TAP the
    /// header goes in front with writev, so frames need no room for it); returns how many the
    /// kernel accepted. Safe from several threads at once, each with its own batch.
    /// </summary>
    public int Write(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        bool virtio = SupportsOffloads;
        Span<byte> header = stackalloc byte[VirtioNetHeader.Size];
        int written = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            bool accepted;
            if (virtio)
            {
                batch.Offloads[i].TryWrite(header);
                accepted = TryWrite(header, batch.Packet(i));
            }
            else
            {
                accepted = TryWrite(batch.Packet(i));
            }
            if (accepted)
            {
                written++;
            }
        }
        return written;
    }

    /// <summary>Completes a frame's partial checksum unless it is a super-frame (whose segments are
    /// checksummed as they are cut) and clears the flag; false when the header points outside the frame.</summary>
    private static bool TryCompleteChecksum(Span<byte> frame, ref VirtioNetHeader offload)
    {
        if (!offload.NeedsChecksum || offload.IsGso)
        {
            return true;
        }
        if (!InternetChecksum.TryCompletePartial(frame, offload.ChecksumStart, offload.ChecksumOffset))
        {
            return false;
        }
        offload = default;
        return true;
    }

    /// <summary>Writes one Ethernet frame. Returns false when the kernel refused it transiently
    /// (EAGAIN, ENOBUFS, or EIO while the link is down); EINTR is retried.</summary>
    /// <exception cref="LinuxError">write() failed otherwise (EINVAL for a frame shorter than an Ethernet header).</exception>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    public unsafe bool TryWrite(ReadOnlySpan<byte> frame)
    {
        using WakeableDescriptor.Lease lease = _tap.Enter(mayWait: false);
        while (true)
        {
            nint n;
            fixed (byte* p = frame)
            {
                n = (nint)LibC.write(_tap.Fd, p, frame.Length);
            }
            if (n >= 0)
            {
                return true;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                continue;
            }
            if (IsTransientWriteError(errno))
            {
                return false;
            }
            throw new LinuxError("write " + Name, errno);
        }
    }

    /// <summary>
    /// Writes one frame given in two pieces, <paramref name="header"/> (on a virtio-header TAP, the
    /// <see cref="VirtioNetHeader"/>) and <paramref name="frame"/>, with one writev, so the header
    /// needs no room in front of the frame. Same results as <see cref="TryWrite(ReadOnlySpan{byte})"/>.
    /// </summary>
    /// <exception cref="LinuxError">writev() failed otherwise.</exception>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    public unsafe bool TryWrite(ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame)
    {
        using WakeableDescriptor.Lease lease = _tap.Enter(mayWait: false);
        fixed (byte* h = header)
        fixed (byte* f = frame)
        {
            SocketNative.IoVec* iov = stackalloc SocketNative.IoVec[2];
            iov[0] = new SocketNative.IoVec { Base = h, Length = (nuint)header.Length };
            iov[1] = new SocketNative.IoVec { Base = f, Length = (nuint)frame.Length };
            while (true)
            {
                nint n = LibCShims.writev(_tap.Fd, iov, 2);
                if (n >= 0)
                {
                    return true;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    continue;
                }
                if (IsTransientWriteError(errno))
                {
                    return false;
                }
                throw new LinuxError("writev " + Name, errno);
            }
        }
    }

    /// <summary>Removes the interface (once no call is in flight) and wakes a blocked <see cref="Read(Span{byte}, int)"/>.</summary>
    public void Dispose() => _tap.Dispose();

    /// <summary>The kernel had no room for the frame, or the link is down (EIO): the frame is dropped.</summary>
    private static bool IsTransientWriteError(int errno) => errno == LibC.EAGAIN || errno == LibC.ENOBUFS || errno == LibC.EIO;
}

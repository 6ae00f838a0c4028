using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Tmds.Linux;
using Weave.Lab;
using Weave.Linux;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Linux;

/// <summary>TAP devices with a virtio_net_hdr and offloads, against the real kernel.</summary>
public sealed class VirtioTapTests(ITestOutputHelper output)
{
    [RootFact]
    public void CreateWithVirtioNetHeader_SetsTheHeaderSizeAndOffloads()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            using var plain = TapDevice.Create("wvtap0");
            Assert.Equal(0, plain.VirtioNetHeaderSize);
            Assert.Equal(TapOffloads.None, plain.Offloads);

            using var tap = TapDevice.CreateWithVirtioNetHeader("wvtap1");
            Assert.Equal(VirtioNetHeader.Size, tap.VirtioNetHeaderSize);
            Assert.Equal(TapOffloads.Tcp, tap.Offloads);
        });
    }

    [RootFact]
    public void CreateWithVirtioNetHeader_SegmentationWithoutChecksum_ThrowsNamingTunSetOffload()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        ns.Run(() =>
        {
            var error = Assert.Throws<LinuxError>(() => TapDevice.CreateWithVirtioNetHeader("wvtap0", TapOffloads.TcpV4Segmentation));
            Assert.Equal(LibC.EINVAL, error.Errno);
            Assert.StartsWith("TUNSETOFFLOAD wvtap0", error.Message, StringComparison.Ordinal);
        });
    }

    /// <summary>Two namespaces joined by two virtio TAPs and a userspace wire that copies frames
    /// with their virtio headers: a TCP stream arrives from the kernel as super-frames larger than
    /// the MTU with GSO type TCPV4, and the far TAP takes them back whole.</summary>
    [RootFact]
    public void TcpStream_ThroughVirtioTaps_ComesAsTcpV4SuperFrames()
    {
        RootFactAttribute.Require();
        WireStats stats = RunStream(segment: false);
        output.WriteLine(stats.ToString());
        Assert.True(stats.SuperFrames > 0, $"no super-frame among {stats.Frames} frames");
        Assert.True(stats.LargestFrame > 1514, $"largest frame {stats.LargestFrame}");
        Assert.Equal(0, stats.Unparsed);
    }

    /// <summary>The same stream with the wire cutting every super-frame into MTU-sized frames with
    /// TcpSegmenter and finishing partial checksums: the receiving kernel checks every checksum, so
    /// the stream arrives intact only if the segmentation is right.</summary>
    [RootFact]
    public void TcpStream_SegmentedInUserspace_ArrivesIntact()
    {
        RootFactAttribute.Require();
        WireStats stats = RunStream(segment: true);
        output.WriteLine(stats.ToString());
        Assert.True(stats.SuperFrames > 0, $"no super-frame among {stats.Frames} frames");
        Assert.True(stats.Segments > stats.SuperFrames, "super-frames were cut");
        Assert.True(stats.LargestWritten <= 1514, $"wrote a frame of {stats.LargestWritten}");
        Assert.Equal(0, stats.Unparsed);
    }

    /// <summary>A UDP datagram the namespace's stack sends out of a virtio TAP comes with a partial
    /// checksum (the TAP offers checksum offload): read alone it says so; read as a batch, the
    /// device has completed it, so nothing above the TAP seam checksums a frame.</summary>
    [RootFact]
    public void ReadBatch_PartialChecksum_CompletedByTheDevice()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        using TapDevice tap = ns.Run(() => TapDevice.CreateWithVirtioNetHeader("wvtap0"));
        TempNetns.Ip("-n", ns.Name, "addr", "add", "10.99.0.1/24", "dev", "wvtap0");
        TempNetns.Ip("-n", ns.Name, "link", "set", "wvtap0", "up");
        TempNetns.Ip("-n", ns.Name, "neigh", "add", "10.99.0.2", "lladdr", "02:00:00:00:00:02", "dev", "wvtap0");
        using Socket sender = ns.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        var to = new IPEndPoint(IPAddress.Parse("10.99.0.2"), 9);
        byte[] payload = [.. Enumerable.Range(0, 300).Select(i => (byte)i)];

        sender.SendTo(payload, to);
        byte[] raw = new byte[TapDevice.SuperFrameBufferBytes];
        VirtioNetHeader rawHeader = default;
        Assert.True(ReadUntil(() =>
        {
            int n = tap.Read(raw, 200);
            Assert.True(n == 0 || VirtioNetHeader.TryRead(raw, out rawHeader));
            return n > VirtioNetHeader.Size && IsUdpToPort9(raw.AsSpan(VirtioNetHeader.Size, n - VirtioNetHeader.Size));
        }), "the first datagram never left the TAP");
        Assert.True(rawHeader.NeedsChecksum, "the kernel completed the checksum itself: this test proves nothing here");

        sender.SendTo(payload, to);
        var batch = new PacketBatch(tap.BatchSize, allocateBuffers: true);
        int found = -1;
        Assert.True(ReadUntil(() =>
        {
            tap.Read(batch, 200);
            for (int i = 0; i < batch.Count && found < 0; i++)
            {
                found = IsUdpToPort9(batch.Packet(i)) ? i : -1;
            }
            return found >= 0;
        }), "the second datagram never left the TAP");
        Span<byte> frame = batch.Packet(found);
        Assert.Equal(default, batch.Offloads[found]);
        Span<byte> udp = frame[34..];
        uint pseudo = InternetChecksum.PseudoHeaderV4(frame.Slice(26, 4), frame.Slice(30, 4), 17, udp.Length);
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(udp[6..]));
        Assert.Equal(0, InternetChecksum.Finish(InternetChecksum.Add(udp, pseudo)));
        Assert.Equal(payload, udp[8..].ToArray());
    }

    private static bool ReadUntil(Func<bool> found)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline)
        {
            if (found())
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsUdpToPort9(ReadOnlySpan<byte> frame) =>
        frame.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x0800 && frame[14] == 0x45 && frame[23] == 17 &&
        BinaryPrimitives.ReadUInt16BigEndian(frame[36..]) == 9;

    private sealed class WireStats
    {
        public long Frames;
        public long SuperFrames;
        public long Segments;
        public long Unparsed;
        public int LargestFrame;
        public int LargestWritten;

        public override string ToString() =>
            $"{Frames} frames, {SuperFrames} TCPV4 super-frames (largest {LargestFrame} bytes), {Segments} segments written (largest frame {LargestWritten}), {Unparsed} unparsed";
    }

    private static WireStats RunStream(bool segment)
    {
        const int StreamBytes = 16 << 20;
        using var ns1 = new TempNetns();
        using var ns2 = new TempNetns();
        using TapDevice tap1 = ns1.Run(() => TapDevice.CreateWithVirtioNetHeader("wvtap0"));
        using TapDevice tap2 = ns2.Run(() => TapDevice.CreateWithVirtioNetHeader("wvtap0"));
        foreach ((TempNetns ns, string address) in new[] { (ns1, "10.99.0.1/24"), (ns2, "10.99.0.2/24") })
        {
            TempNetns.Ip("-n", ns.Name, "link", "set", "lo", "up");
            TempNetns.Ip("-n", ns.Name, "addr", "add", address, "dev", "wvtap0");
            TempNetns.Ip("-n", ns.Name, "link", "set", "wvtap0", "up");
        }
        var stats = new WireStats();
        using var stop = new CancellationTokenSource();
        var wires = new[]
        {
            new Thread(() => Wire(tap1, tap2, segment, stats, stop.Token)) { IsBackground = true },
            new Thread(() => Wire(tap2, tap1, segment, stats, stop.Token)) { IsBackground = true },
        };
        foreach (Thread wire in wires)
        {
            wire.Start();
        }
        try
        {
            using Socket listener = ns2.Run(() =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("10.99.0.2"), 5201));
                socket.Listen(1);
                return socket;
            });
            using Socket client = ns1.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            byte[] data = new byte[StreamBytes];
            new Random(42).NextBytes(data);
            Task<byte[]> receive = Task.Run(() =>
            {
                using Socket server = listener.Accept();
                using var received = new MemoryStream();
                byte[] buffer = new byte[1 << 16];
                int n;
                while ((n = server.Receive(buffer)) > 0)
                {
                    received.Write(buffer, 0, n);
                }
                return received.ToArray();
            });
            client.Connect(new IPEndPoint(IPAddress.Parse("10.99.0.2"), 5201));
            client.SendTimeout = 30_000;
            client.Send(data);
            client.Shutdown(SocketShutdown.Send);
            Assert.True(receive.Wait(TimeSpan.FromSeconds(60)), $"stream stalled; wire saw {stats.Frames} frames");
            Assert.True(receive.Result.AsSpan().SequenceEqual(data), $"received {receive.Result.Length} of {data.Length} bytes, or different ones");
        }
        finally
        {
            stop.Cancel();
            foreach (Thread wire in wires)
            {
                Assert.True(wire.Join(TimeSpan.FromSeconds(5)));
            }
        }
        return stats;
    }

    /// <summary>Copies frames from one TAP to the other until cancelled: whole with their virtio
    /// header, or (<paramref name="segment"/>) cut into complete frames with an all-zero header.</summary>
    private static void Wire(TapDevice from, TapDevice to, bool segment, WireStats stats, CancellationToken stop)
    {
        byte[] buffer = new byte[TapDevice.SuperFrameBufferBytes];
        byte[] output = new byte[2 * TapDevice.SuperFrameBufferBytes];
        int[] lengths = new int[64];
        while (!stop.IsCancellationRequested)
        {
            int n = from.Read(buffer, 50);
            if (n < VirtioNetHeader.Size)
            {
                continue;
            }
            Interlocked.Increment(ref stats.Frames);
            Assert.True(VirtioNetHeader.TryRead(buffer, out VirtioNetHeader header));
            Span<byte> frame = buffer.AsSpan(VirtioNetHeader.Size, n - VirtioNetHeader.Size);
            if (header.GsoKind == VirtioNetHeader.GsoTcpV4 && frame.Length > 1514)
            {
                Interlocked.Increment(ref stats.SuperFrames);
                InterlockedMax(ref stats.LargestFrame, frame.Length);
            }
            if (!segment)
            {
                to.TryWrite(buffer.AsSpan(0, n));
                continue;
            }
            if (header.IsGso)
            {
                if (!TcpSegmenter.TryParse(frame, header, out TcpSuperFrame layout))
                {
                    Interlocked.Increment(ref stats.Unparsed);
                    continue;
                }
                int first = 0;
                while (first < layout.SegmentCount)
                {
                    int count = TcpSegmenter.Segment(frame, layout, first, output, VirtioNetHeader.Size, lengths);
                    int position = 0;
                    for (int i = 0; i < count; i++)
                    {
                        Span<byte> withHeader = output.AsSpan(position, VirtioNetHeader.Size + lengths[i]);
                        default(VirtioNetHeader).Write(withHeader);
                        to.TryWrite(withHeader);
                        InterlockedMax(ref stats.LargestWritten, lengths[i]);
                        position += withHeader.Length;
                    }
                    Interlocked.Add(ref stats.Segments, count);
                    first += count;
                }
                continue;
            }
            if (header.NeedsChecksum)
            {
                Assert.True(InternetChecksum.TryCompletePartial(frame, header.ChecksumStart, header.ChecksumOffset));
                default(VirtioNetHeader).Write(buffer);
            }
            to.TryWrite(buffer.AsSpan(0, n));
            InterlockedMax(ref stats.LargestWritten, frame.Length);
        }
    }

    private static void InterlockedMax(ref int location, int value)
    {
        int current;
        while ((current = Volatile.Read(ref location)) < value &&
            Interlocked.CompareExchange(ref location, value, current) != current)
        {
        }
    }
}

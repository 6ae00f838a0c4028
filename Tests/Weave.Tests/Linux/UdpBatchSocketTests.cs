using System.Net;
using System.Net.Sockets;
using Tmds.Linux;
using Weave.Lab;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>UdpBatchSocket and UdpBatch over loopback: batches, GSO sends, GRO receives.</summary>
public sealed class UdpBatchSocketTests
{
    private static readonly UdpEndpoint s_loopbackAnyPort = new(IPAddress.Loopback, 0);

    [Fact]
    public void SendAndReceive_ABatchOf32_RoundTripsWithSourceAddresses()
    {
        using var a = UdpBatchSocket.Open(s_loopbackAnyPort);
        using var b = UdpBatchSocket.Open(s_loopbackAnyPort);
        using var batch = new UdpBatch(32, 2048, headroom: 16);
        RoundTrip32(a, b, batch);
    }

    [RootFact]
    public void SendAndReceive_ABatchOf32OverIPv6_RoundTrips()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TempNetns.Ip("-n", ns.Name, "link", "set", "lo", "up");
        var any = new UdpEndpoint(IPAddress.IPv6Loopback, 0);
        (UdpBatchSocket a, UdpBatchSocket b) = ns.Run(() => (UdpBatchSocket.Open(any), UdpBatchSocket.Open(any)));
        using (a)
        using (b)
        using (var batch = new UdpBatch(32, 2048))
        {
            Assert.True(a.LocalEndPoint.IsIPv6);
            RoundTrip32(a, b, batch);
        }
    }

    private static void RoundTrip32(UdpBatchSocket a, UdpBatchSocket b, UdpBatch batch)
    {
        for (int i = 0; i < 32; i++)
        {
            Span<byte> buffer = batch.GetBuffer(i);
            buffer[..(100 + i)].Fill((byte)i);
            batch.SetDatagram(i, 100 + i, b.LocalEndPoint);
        }
        Assert.Equal(32, a.Send(batch, 32, 5000));

        var seen = new bool[32];
        int total = ReceiveInto(b, batch, 32, (slot, batch) =>
        {
            Span<byte> datagram = batch.GetDatagram(slot);
            int index = datagram[0];
            Assert.Equal(100 + index, datagram.Length);
            Assert.True(datagram.IndexOfAnyExcept((byte)index) < 0);
            Assert.Equal(a.LocalEndPoint, batch.GetAddress(slot));
            Assert.Equal(0, batch.GetSegmentSize(slot));
            Assert.False(batch.IsTruncated(slot));
            seen[index] = true;
        }, echoFrom: b);
        Assert.Equal(32, total);
        Assert.All(seen, Assert.True);

        // The echo went back to each datagram's source: a receives all 32.
        int echoed = ReceiveInto(a, batch, 32, (slot, batch) =>
        {
            Assert.Equal(b.LocalEndPoint, batch.GetAddress(slot));
            Assert.Equal(100 + batch.GetDatagram(slot)[0], batch.GetLength(slot));
        }, echoFrom: null);
        Assert.Equal(32, echoed);
    }

    /// <summary>Receives until <paramref name="expected"/> datagrams came (or 5 s passed); with
    /// <paramref name="echoFrom"/>, sends each received batch back to its sources in place.</summary>
    private static int ReceiveInto(UdpBatchSocket socket, UdpBatch batch, int expected, Action<int, UdpBatch> check, UdpBatchSocket? echoFrom)
    {
        int total = 0;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (total < expected && DateTime.UtcNow < deadline)
        {
            int n = socket.Receive(batch, 500);
            for (int slot = 0; slot < n; slot++)
            {
                check(slot, batch);
                if (echoFrom != null)
                {
                    batch.SetDatagram(slot, batch.GetLength(slot), batch.GetAddress(slot));
                }
            }
            if (echoFrom != null && n > 0)
            {
                Assert.Equal(n, echoFrom.Send(batch, n, 5000));
            }
            total += n;
        }
        return total;
    }

    [RootFact]
    public void GsoSend_OfTenSegments_ArrivesAsTenDatagrams_OrAsOneGroBatch()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TempNetns.Ip("-n", ns.Name, "link", "set", "lo", "up");
        (UdpBatchSocket sender, UdpBatchSocket plain, UdpBatchSocket gro) = ns.Run(() =>
            (UdpBatchSocket.Open(s_loopbackAnyPort), UdpBatchSocket.Open(s_loopbackAnyPort), UdpBatchSocket.Open(s_loopbackAnyPort)));
        using (sender)
        using (plain)
        using (gro)
        using (var send = new UdpBatch(1))
        using (var receive = new UdpBatch(16))
        {
            gro.EnableGro();
            Assert.True(gro.IsGroEnabled);
            const int SegmentSize = 1200;
            const int Length = (9 * SegmentSize) + 700; // ten segments, the last one short
            Span<byte> payload = send.GetBuffer(0);
            for (int i = 0; i < Length; i++)
            {
                payload[i] = (byte)(i / SegmentSize);
            }

            send.SetDatagram(0, Length, plain.LocalEndPoint, SegmentSize);
            Assert.Equal(1, sender.Send(send, 1, 5000));
            int count = 0;
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (count < 10 && DateTime.UtcNow < deadline)
            {
                int n = plain.Receive(receive, 500);
                for (int slot = 0; slot < n; slot++, count++)
                {
                    Span<byte> datagram = receive.GetDatagram(slot);
                    Assert.Equal(count == 9 ? 700 : SegmentSize, datagram.Length);
                    Assert.True(datagram.IndexOfAnyExcept((byte)count) < 0, $"datagram {count} holds segment {count}");
                    Assert.Equal(0, receive.GetSegmentSize(slot));
                }
            }
            Assert.Equal(10, count);
            Assert.Equal(0, plain.Receive(receive, 50));

            send.SetDatagram(0, Length, gro.LocalEndPoint, SegmentSize);
            Assert.Equal(1, sender.Send(send, 1, 5000));
            Assert.Equal(1, gro.Receive(receive, 5000));
            Assert.Equal(Length, receive.GetLength(0));
            Assert.Equal(SegmentSize, receive.GetSegmentSize(0));
            Assert.True(receive.GetDatagram(0).SequenceEqual(send.GetDatagram(0)));
            Assert.Equal(sender.LocalEndPoint, receive.GetAddress(0));
            Assert.Equal(0, sender.DroppedSends);
        }
    }

    /// <summary>House rule 1: the data path allocates nothing, measured over 10,000 batches.</summary>
    [Fact]
    public void SendAndReceive_TenThousandBatches_AllocateNothing()
    {
        using var a = UdpBatchSocket.Open(s_loopbackAnyPort);
        using var b = UdpBatchSocket.Open(s_loopbackAnyPort);
        using var send = new UdpBatch(8, 256);
        using var receive = new UdpBatch(8, 256);
        for (int i = 0; i < 8; i++)
        {
            send.GetBuffer(i)[..200].Fill((byte)i);
            send.SetDatagram(i, 200, b.LocalEndPoint);
        }
        long received = Exchange(a, b, send, receive, 200); // warm up: JIT, tiering
        Assert.Equal(200 * 8, received);

        // Rounds of 10,000 until one allocates nothing (at most 5): the runtime may still tier up
        // a method during the first (seen once on a loaded machine: 7,952 bytes), which is not
        // the data path allocating. A real allocation per batch shows in every round.
        var rounds = new List<long>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            received = Exchange(a, b, send, receive, 10_000);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(10_000 * 8, received);
        }

        Assert.True(rounds[^1] == 0, $"bytes allocated per round of 10,000 batches: {string.Join(", ", rounds)}");
    }

    private static long Exchange(UdpBatchSocket a, UdpBatchSocket b, UdpBatch send, UdpBatch receive, int rounds)
    {
        long received = 0;
        for (int round = 0; round < rounds; round++)
        {
            if (a.Send(send, send.Count, 5000) != send.Count)
            {
                return -1;
            }
            int got = 0;
            while (got < send.Count)
            {
                int n = b.Receive(receive, 5000);
                if (n == 0)
                {
                    return -2;
                }
                got += n;
            }
            received += got;
        }
        return received;
    }

    [RootFact]
    public void SetBufferSizes_AsRoot_GrantsMoreThanRmemMax()
    {
        RootFactAttribute.Require();
        int rmemMax = int.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var socket = UdpBatchSocket.Open(s_loopbackAnyPort);
        int asked = (rmemMax * 2) + (1 << 20);

        socket.SetBufferSizes(asked, asked);

        // The kernel doubles what it grants; capped at rmem_max it would report 2 × rmem_max.
        Assert.True(socket.ReceiveBufferBytes >= asked, $"receive buffer {socket.ReceiveBufferBytes} B, asked {asked} B, rmem_max {rmemMax} B");
    }

    [Fact]
    public void Receive_WhenNothingArrives_ReturnsZero_AndDisposeWakesABlockedReceive()
    {
        var socket = UdpBatchSocket.Open(s_loopbackAnyPort);
        using var batch = new UdpBatch(4, 2048);
        Assert.Equal(0, socket.Receive(batch, 50));
        var reader = ThreadBlockedInPoll.Start(() => socket.Receive(batch, -1), descriptors: 2); // the socket and the wake eventfd

        socket.Dispose();

        Assert.True(reader.Join(), "Receive still blocked after Dispose");
        Assert.IsType<ObjectDisposedException>(reader.Failure);
        Assert.Throws<ObjectDisposedException>(() => socket.Send(batch, 0));
        socket.Dispose();
    }

    [RootFact]
    public void Send_ToAnUnreachableDestination_DropsAndCountsIt_AndSendsTheRest()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TempNetns.Ip("-n", ns.Name, "link", "set", "lo", "up");
        var any = new UdpEndpoint(IPAddress.Any, 0);
        (UdpBatchSocket a, UdpBatchSocket b) = ns.Run(() => (UdpBatchSocket.Open(any), UdpBatchSocket.Open(s_loopbackAnyPort)));
        using (a)
        using (b)
        using (var batch = new UdpBatch(3, 512))
        {
            batch.SetDatagram(0, 10, b.LocalEndPoint);
            batch.SetDatagram(1, 10, new UdpEndpoint(IPAddress.Parse("203.0.113.1"), 9)); // no route in the namespace
            batch.SetDatagram(2, 10, b.LocalEndPoint);

            Assert.Equal(3, a.Send(batch, 3, 5000));

            Assert.Equal(1, a.DroppedSends);
            Assert.Equal(LibC.ENETUNREACH, a.LastSendError);
            int received = 0;
            while (received < 2 && b.Receive(batch, 2000) is int n && n > 0)
            {
                received += n;
            }
            Assert.Equal(2, received);
        }
    }

    [Fact]
    public void SetDatagram_MoreThan64Segments_Throws()
    {
        using var batch = new UdpBatch(1);
        var destination = new UdpEndpoint(IPAddress.Loopback, 9);
        batch.SetDatagram(0, 64 * 100, destination, segmentSize: 100);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.SetDatagram(0, (64 * 100) + 1, destination, segmentSize: 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.SetDatagram(0, UdpBatch.MaxIPv4Payload + 1, destination, segmentSize: 1400));
    }

    [Fact]
    public void UdpEndpoint_RoundTripsThroughIPEndPoint()
    {
        var v4 = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 6784);
        var v6 = new IPEndPoint(IPAddress.Parse("fe80::1%7"), 6784);
        Assert.Equal(v4, UdpEndpoint.FromIPEndPoint(v4).ToIPEndPoint());
        Assert.Equal(v6, UdpEndpoint.FromIPEndPoint(v6).ToIPEndPoint());
        Assert.Equal(0x0a010203u, UdpEndpoint.FromIPEndPoint(v4).IPv4Address);
        Assert.Equal(AddressFamily.Unspecified, default(UdpEndpoint).Family);
        Assert.NotEqual(UdpEndpoint.FromIPEndPoint(v4), UdpEndpoint.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 6785)));
    }
}

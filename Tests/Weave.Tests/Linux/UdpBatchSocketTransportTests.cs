using System.Net;
using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>UdpBatchSocket as the overlay's transport, over loopback: sendmmsg with GSO, recvmmsg
/// with GRO, straight from and into a PacketBatch's pinned buffers.</summary>
public sealed class UdpBatchSocketTransportTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    [Fact]
    public void Send_GsoSlotAndPlainSlot_ArriveIntactFromTheSender()
    {
        using UdpBatchSocket a = UdpBatchSocket.OpenForOverlay(s_loopback);
        using UdpBatchSocket b = UdpBatchSocket.OpenForOverlay(s_loopback);
        Assert.True(b.IsGroEnabled);

        // Slot 0: four datagrams of 100, 100, 100 and 50 bytes as one GSO send; slot 1: one of 30.
        byte[] gso = [.. Enumerable.Range(0, 350).Select(i => (byte)i)];
        byte[] plain = [.. Enumerable.Range(0, 30).Select(i => (byte)(255 - i))];
        var sends = new PacketBatch(2, allocateBuffers: true);
        UdpEndpoint to = b.LocalEndPoint;
        gso.CopyTo(sends.Buffers[0], 10);
        sends.Offsets[0] = 10;
        sends.Lengths[0] = gso.Length;
        sends.SegmentSizes[0] = 100;
        sends.Endpoints[0] = to;
        plain.CopyTo(sends.Buffers[1], 20);
        sends.Set(1, sends.Buffers[1], 20, plain.Length);
        sends.Endpoints[1] = to;
        sends.Count = 2;

        Assert.Equal(2, a.Send(sends));

        // GRO may hand the run over whole (with its segment size) or datagram by datagram.
        var received = new List<byte[]>();
        var datagrams = new PacketBatch(b.BatchSize, allocateBuffers: true);
        Array.Fill(datagrams.Offsets, PacketBatch.Headroom);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (received.Count < 5 && DateTime.UtcNow < deadline)
        {
            int count = b.Receive(datagrams, 200);
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(a.LocalEndPoint, datagrams.Endpoints[i]);
                byte[] slot = datagrams.Packet(i).ToArray();
                int size = datagrams.SegmentSizes[i] > 0 ? datagrams.SegmentSizes[i] : slot.Length;
                for (int at = 0; at < slot.Length; at += size)
                {
                    received.Add(slot[at..Math.Min(at + size, slot.Length)]);
                }
            }
        }
        Assert.Equal([gso[..100], gso[100..200], gso[200..300], gso[300..], plain], received);
    }

    [Fact]
    public void Open_PortTaken_ThrowsAddressInUse()
    {
        using UdpBatchSocket a = UdpBatchSocket.OpenForOverlay(s_loopback);
        var error = Assert.Throws<LinuxError>(() => UdpBatchSocket.OpenForOverlay(a.LocalEndPoint.ToIPEndPoint()));
        Assert.Equal(98, error.Errno);
    }
}

using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weave.Gossip;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Router.Fakes;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>
/// The TAP thread serving the sockets, light traffic and one-way bulk alike, handing a socket to
/// its own thread only while traffic is bulk both ways, and taking it back when it no longer is
/// (Forwarder.Handoff.cs), over the in-memory fakes.
/// </summary>
public sealed class ForwarderHandoffTests : IDisposable
{
    private const int Vni = 6783;
    private const ulong LocalMac = 0x0200_0000_0001;
    private const ulong RemoteMac = 0x0200_0000_00A1;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    private readonly ChannelTapDevice _tap = new();
    private readonly ChannelDatagramTransport _udp = new();
    private readonly ChannelDatagramTransport _sleeve = new();
    private readonly ChannelDataReadiness _readiness;
    private readonly Forwarder _forwarder;
    private readonly DataPeer _peer = new(new PeerName(0xA), "a(host-a)", new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6784));

    public ForwarderHandoffTests()
    {
        _readiness = new ChannelDataReadiness(_tap, _udp, _sleeve);
        _forwarder = new Forwarder(new PeerName(0x1), _tap, _udp, _sleeve, Vni, TimeProvider.System, NullLogger.Instance) { Readiness = _readiness };
        _forwarder.AddPeer(_peer);
        _forwarder.Start();
    }

    public void Dispose()
    {
        _forwarder.Dispose();
        _readiness.Dispose();
        _tap.Dispose();
        _udp.Dispose();
        _sleeve.Dispose();
    }

    [Fact]
    public void DataSources_AreThePollSetsBits()
    {
        // LinuxDataReadiness passes the bits through: the TAP, VXLAN and sleeve are the set's sources 0, 1, 2.
        Assert.Equal([1, 2, 4, PollSet.WokenBit], new[] { DataSources.Bridge, DataSources.Vxlan, DataSources.Sleeve, DataSources.Woken }.Select(s => (int)s));
    }

    [Fact]
    public void LightTraffic_BothWays_IsServedByTheTapThreadAlone()
    {
        byte[] fromPeer = Frames.Ethernet(LocalMac, RemoteMac, fill: 1);
        _udp.Deliver(Frames.Vxlan(Vni, fromPeer), _peer.EndPoint);
        Assert.Equal(fromPeer, TakeWritten());

        byte[] reply = Frames.Ethernet(RemoteMac, LocalMac, fill: 2);
        _tap.Inject(reply);
        Assert.Equal(reply, TakeSentFrame());

        Assert.True(_forwarder.VxlanWithTapThread);
        Assert.True(_readiness.WaitsOnVxlan > 0, "the TAP thread never waited on the VXLAN socket");
        Assert.Equal(0, _forwarder.Counters.SocketsHandedOver);
    }

    [Fact]
    public void BulkFromThePeerAlone_StaysWithTheTapThread()
    {
        byte[][] run = BulkRun(fill: 1);
        DeliverRun(run);
        foreach (byte[] frame in run)
        {
            Assert.Equal(frame, TakeWritten());
        }
        // A transfer's acknowledgements are light: the TAP thread keeps serving the socket.
        long waitsBefore = _readiness.WaitsOnVxlan;
        byte[] ack = Frames.Ethernet(RemoteMac, LocalMac, fill: 2);
        _tap.Inject(ack);
        Assert.Equal(ack, TakeSentFrame());
        Assert.True(SpinWait.SpinUntil(() => _readiness.WaitsOnVxlan > waitsBefore, s_wait), "the TAP thread stopped waiting on the socket");
        Assert.True(_forwarder.VxlanWithTapThread);
        Assert.Equal(0, _forwarder.Counters.SocketsHandedOver);
    }

    [Fact]
    public void BulkFromTheBridgeAlone_StaysWithTheTapThread()
    {
        _forwarder.Macs.Learn(RemoteMac, _peer.Name, TimeProvider.System.GetTimestamp());
        _tap.Inject(TcpTraffic.SuperFrame(RemoteMac, LocalMac, payload: 20_000), TcpTraffic.Gso());
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SegmentsFromBridge == 14, s_wait), "the super-frame was not sent");

        byte[] fromPeer = Frames.Ethernet(LocalMac, RemoteMac, fill: 3);
        _udp.Deliver(Frames.Vxlan(Vni, fromPeer), _peer.EndPoint);
        Assert.Equal(fromPeer, TakeWritten());
        Assert.True(_forwarder.VxlanWithTapThread);
        Assert.Equal(0, _forwarder.Counters.SocketsHandedOver);
    }

    [Fact]
    public void BulkBothWays_HandsTheBusySocketOver_AndOneWayHandsItBack()
    {
        byte fill = 1;
        BulkBothWaysUntilHandedOver(ref fill);
        // Only the VXLAN socket brought bulk; the idle sleeve socket stays with the TAP thread.
        Assert.Equal(1, _forwarder.Counters.SocketsHandedOver);
        Assert.False(_forwarder.VxlanWithTapThread);

        // The peer keeps sending bulk, the bridge has stopped: one way again, so the socket goes back.
        DeliverRun(BulkRun(fill: 0x40));
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref _forwarder.Counters.SocketsHandedBack) == 1, s_wait), "the socket was not handed back");
        Assert.True(SpinWait.SpinUntil(() => _forwarder.VxlanWithTapThread, s_wait));
        long waitsBefore = _readiness.WaitsOnVxlan;
        byte[] single = Frames.Ethernet(LocalMac, RemoteMac, fill: 0x77);
        _udp.Deliver(Frames.Vxlan(Vni, single), _peer.EndPoint);
        Assert.True(SpinWait.SpinUntil(() => _readiness.WaitsOnVxlan > waitsBefore, s_wait), "the TAP thread did not take the socket back");
        Assert.Equal(1, _forwarder.Counters.SocketsHandedOver);
    }

    /// <summary>
    /// Bulk both ways (the socket handed to its thread) and single datagrams (served by the TAP
    /// thread once the socket is back) alternate: every frame reaches the bridge once, in order, so
    /// the socket and its batches were never read by two threads at once.
    /// </summary>
    [Fact]
    public void AlternatingBulkAndSingles_DeliverEveryFrameOnceInOrder()
    {
        const int Rounds = 5;
        var expected = new List<byte[]>();
        byte fill = 0;
        for (int round = 0; round < Rounds; round++)
        {
            Assert.True(SpinWait.SpinUntil(() => _forwarder.VxlanWithTapThread, s_wait), "the socket did not come back to the TAP thread");
            expected.AddRange(BulkBothWaysUntilHandedOver(ref fill));
            for (int k = 0; k < 3; k++)
            {
                byte[] single = Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 60, fill: fill++);
                _udp.Deliver(Frames.Vxlan(Vni, single), _peer.EndPoint);
                expected.Add(single);
                Thread.Sleep(k == 0 ? 0 : 15); // the first right behind the bulk, to the socket thread; the others around the hand-back
            }
        }
        foreach (byte[] frame in expected)
        {
            Assert.Equal(frame, TakeWritten());
        }
        Assert.False(_tap.TryTakeWritten(TimeSpan.FromMilliseconds(50), out _), "a frame was written twice");
        Assert.True(Interlocked.Read(ref _forwarder.Counters.SocketsHandedBack) >= Rounds - 1);
    }

    [Fact]
    public void Dispose_WhileTheSocketThreadHoldsItsSocket_IsPrompt()
    {
        byte fill = 1;
        BulkBothWaysUntilHandedOver(ref fill);
        var clock = Stopwatch.StartNew();
        _forwarder.Dispose();
        Assert.InRange(clock.ElapsedMilliseconds, 0, 2000);
    }

    /// <summary>
    /// MAC expiry belongs to whoever holds the VXLAN socket. While the TAP thread holds it and
    /// nothing arrives on it (with a password nothing ever does), the TAP thread still expires.
    /// </summary>
    [Fact]
    public void IdleMacs_ExpireWhileTheTapThreadHoldsAQuietSocket()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddDays(1));
        using var tap = new ChannelTapDevice();
        using var udp = new ChannelDatagramTransport();
        using var sleeve = new ChannelDatagramTransport();
        using var readiness = new ChannelDataReadiness(tap, udp, sleeve);
        using var forwarder = new Forwarder(new PeerName(0x1), tap, udp, sleeve, Vni, time, NullLogger.Instance) { Readiness = readiness };
        forwarder.AddPeer(_peer);
        forwarder.Start();
        byte[] frame = Frames.Ethernet(LocalMac, RemoteMac);
        udp.Deliver(Frames.Vxlan(Vni, frame), _peer.EndPoint);
        Assert.True(tap.TryTakeWritten(s_wait, out _));
        Assert.Equal(_peer.Name, forwarder.Macs.Lookup(RemoteMac));

        time.Advance(Forwarder.MacIdleTimeout + TimeSpan.FromMinutes(1)); // then nothing more arrives
        Assert.True(SpinWait.SpinUntil(() => forwarder.Counters.MacsExpired == 1, s_wait), "the idle MAC was never expired");
        Assert.True(forwarder.VxlanWithTapThread);
    }

    /// <summary>A dozen full frames from the peer: 17 KB in one GRO run, a bulk batch.</summary>
    private static byte[][] BulkRun(byte fill) =>
        [.. Enumerable.Range(0, 12).Select(i => Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 1400, fill: (byte)(fill + i)))];

    /// <summary>
    /// A 20 KB super-frame from the bridge and a bulk GRO run from the peer, the run right behind
    /// the super-frame (well within the 20 ms that make traffic bulk both ways). Returns the run's
    /// frames, which the bridge gets.
    /// </summary>
    private byte[][] BulkBothWays(byte fill)
    {
        _forwarder.Macs.Learn(RemoteMac, _peer.Name, TimeProvider.System.GetTimestamp());
        long segments = _forwarder.Counters.SegmentsFromBridge;
        _tap.Inject(TcpTraffic.SuperFrame(RemoteMac, LocalMac, payload: 20_000), TcpTraffic.Gso());
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SegmentsFromBridge > segments, s_wait), "the super-frame was not sent");
        byte[][] run = BulkRun(fill);
        DeliverRun(run);
        return run;
    }

    /// <summary>
    /// <see cref="BulkBothWays"/> until the forwarder hands a socket over, each try with new fills
    /// (<paramref name="fill"/> moves on by 16). A try counts only when the run is read within
    /// 20 ms of the super-frame; on a loaded machine (it happened in one CI run) the test thread can be
    /// descheduled for longer between the two, so one try is not enough. Returns every run's frames,
    /// in the order the bridge gets them.
    /// </summary>
    private List<byte[]> BulkBothWaysUntilHandedOver(ref byte fill)
    {
        long handedOver = _forwarder.Counters.SocketsHandedOver;
        var frames = new List<byte[]>();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            frames.AddRange(BulkBothWays(fill));
            fill += 16;
            if (SpinWait.SpinUntil(() => _forwarder.Counters.SocketsHandedOver > handedOver, TimeSpan.FromMilliseconds(200)))
            {
                return frames;
            }
            Assert.True(clock.Elapsed < s_wait, "bulk both ways handed nothing over");
        }
    }

    /// <summary>Frames of one size as one GRO run from the peer.</summary>
    private void DeliverRun(byte[][] frames)
    {
        byte[][] datagrams = [.. frames.Select(f => Frames.Vxlan(Vni, f))];
        _udp.Deliver([.. datagrams.SelectMany(d => d)], _peer.EndPoint, segmentSize: datagrams[0].Length);
    }

    private byte[] TakeWritten()
    {
        Assert.True(_tap.TryTakeWritten(s_wait, out byte[] frame), "expected a frame written to the bridge");
        return frame;
    }

    /// <summary>The next frame sent to the peer (heartbeats skipped), without its VXLAN header.</summary>
    private byte[] TakeSentFrame()
    {
        while (true)
        {
            Assert.True(_udp.TryTakeSent(s_wait, out var sent), "expected a datagram to be sent");
            if (!HeartbeatBody.IsVxlanHeartbeat(sent.Datagram.AsSpan(VxlanHeader.SizeBytes)))
            {
                return sent.Datagram[VxlanHeader.SizeBytes..];
            }
        }
    }
}

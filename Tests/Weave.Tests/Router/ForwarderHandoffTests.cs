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
/// (Forwarder.Handoff.cs), over the in-memory fakes. The forwarder's clock is a fake one that
/// moves only when a test says: traffic is bulk both ways exactly while the test keeps the clock
/// within the window, however slowly the machine runs the threads.
/// </summary>
public sealed class ForwarderHandoffTests : IDisposable
{
    private const int Vni = 6783;
    private const ulong LocalMac = 0x0200_0000_0001;
    private const ulong RemoteMac = 0x0200_0000_00A1;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    /// <summary>The forwarder's bulk window (Forwarder.Handoff.cs).</summary>
    private static readonly TimeSpan s_bulkWindow = TimeSpan.FromMilliseconds(20);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(1));

    private readonly ChannelTapDevice _tap = new();
    private readonly ChannelDatagramTransport _vxlan = new();
    private readonly ChannelDatagramTransport _sleeve = new();
    private readonly ChannelDataReadiness _readiness;
    private readonly Forwarder _forwarder;
    private readonly DataPeer _peer = new(new PeerName(0xA), "a(host-a)", new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6784));

    public ForwarderHandoffTests()
    {
        _readiness = new ChannelDataReadiness(_tap, _vxlan, _sleeve);
        _forwarder = new Forwarder(new PeerName(0x1), _tap, _vxlan, _sleeve, Vni, _time, NullLogger.Instance) { Readiness = _readiness };
        _forwarder.AddPeer(_peer);
        _forwarder.Start();
    }

    public void Dispose()
    {
        _forwarder.Dispose();
        _readiness.Dispose();
        _tap.Dispose();
        _vxlan.Dispose();
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
        _vxlan.Deliver(Frames.Vxlan(Vni, fromPeer), _peer.EndPoint);
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
        _forwarder.Macs.Learn(RemoteMac, _peer.Name, _time.GetTimestamp());
        _tap.Inject(TcpTraffic.SuperFrame(RemoteMac, LocalMac, payload: 20_000), TcpTraffic.Gso());
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SegmentsFromBridge == 14, s_wait), "the super-frame was not sent");

        byte[] fromPeer = Frames.Ethernet(LocalMac, RemoteMac, fill: 3);
        _vxlan.Deliver(Frames.Vxlan(Vni, fromPeer), _peer.EndPoint);
        Assert.Equal(fromPeer, TakeWritten());
        Assert.True(_forwarder.VxlanWithTapThread);
        Assert.Equal(0, _forwarder.Counters.SocketsHandedOver);
    }

    [Fact]
    public void BulkBothWays_HandsTheBusySocketOver_AndOneWayHandsItBack()
    {
        foreach (byte[] frame in BulkBothWaysHandsOver(fill: 1))
        {
            Assert.Equal(frame, TakeWritten());
        }
        // Only the VXLAN socket brought bulk; the idle sleeve socket stays with the TAP thread.
        Assert.Equal(1, _forwarder.Counters.SocketsHandedOver);
        Assert.False(_forwarder.VxlanWithTapThread);

        // The peer keeps sending bulk, the bridge has stopped: still both ways within the window ...
        _time.Advance(s_bulkWindow / 2);
        foreach (byte[] frame in DeliverRun(BulkRun(fill: 0x40)))
        {
            Assert.Equal(frame, TakeWritten());
        }
        Assert.Equal(0, Interlocked.Read(ref _forwarder.Counters.SocketsHandedBack));
        Assert.False(_forwarder.VxlanWithTapThread);

        // ... and one way once the bridge's last bulk is older than the window, so the socket goes back.
        _time.Advance(s_bulkWindow / 2 + TimeSpan.FromMilliseconds(1));
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref _forwarder.Counters.SocketsHandedBack) == 1, s_wait), "the socket was not handed back");
        Assert.True(_forwarder.VxlanWithTapThread);
        long waitsBefore = _readiness.WaitsOnVxlan;
        byte[] single = Frames.Ethernet(LocalMac, RemoteMac, fill: 0x77);
        _vxlan.Deliver(Frames.Vxlan(Vni, single), _peer.EndPoint);
        Assert.True(SpinWait.SpinUntil(() => _readiness.WaitsOnVxlan > waitsBefore, s_wait), "the TAP thread did not take the socket back");
        Assert.Equal(1, _forwarder.Counters.SocketsHandedOver);
    }

    /// <summary>
    /// Bulk both ways (the socket handed to its thread) and single datagrams alternate: one right
    /// behind the bulk (the socket thread's), one as the window closes (either thread's, racing the
    /// hand-back), one once the socket is back (the TAP thread's). Every frame reaches the bridge
    /// once, in order, so the socket and its batches were never read by two threads at once.
    /// </summary>
    [Fact]
    public void AlternatingBulkAndSingles_DeliverEveryFrameOnceInOrder()
    {
        const int Rounds = 5;
        var expected = new List<byte[]>();
        byte fill = 0;
        for (int round = 0; round < Rounds; round++)
        {
            expected.AddRange(BulkBothWaysHandsOver(fill));
            fill += 16;
            expected.Add(DeliverSingle(fill++));
            _time.Advance(s_bulkWindow); // the bulk is now as old as the window: no longer bulk
            expected.Add(DeliverSingle(fill++));
            Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref _forwarder.Counters.SocketsHandedBack) == round + 1, s_wait), "the socket was not handed back");
            expected.Add(DeliverSingle(fill++));
        }
        foreach (byte[] frame in expected)
        {
            Assert.Equal(frame, TakeWritten());
        }
        Assert.False(_tap.TryTakeWritten(TimeSpan.FromMilliseconds(50), out _), "a frame was written twice");
        Assert.Equal(Rounds, _forwarder.Counters.SocketsHandedOver);
    }

    [Fact]
    public void Dispose_WhileTheSocketThreadHoldsItsSocket_IsPrompt()
    {
        BulkBothWaysHandsOver(fill: 1);
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
        byte[] frame = Frames.Ethernet(LocalMac, RemoteMac);
        _vxlan.Deliver(Frames.Vxlan(Vni, frame), _peer.EndPoint);
        Assert.Equal(frame, TakeWritten());
        Assert.Equal(_peer.Name, _forwarder.Macs.Lookup(RemoteMac));

        _time.Advance(Forwarder.MacIdleTimeout + TimeSpan.FromMinutes(1)); // then nothing more arrives
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.MacsExpired == 1, s_wait), "the idle MAC was never expired");
        Assert.True(_forwarder.VxlanWithTapThread);
    }

    /// <summary>A dozen full frames from the peer: 17 KB in one GRO run, a bulk batch.</summary>
    private static byte[][] BulkRun(byte fill) =>
        [.. Enumerable.Range(0, 12).Select(i => Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 1400, fill: (byte)(fill + i)))];

    /// <summary>
    /// A 20 KB super-frame from the bridge, then a bulk GRO run from the peer at the same instant
    /// of the forwarder's clock: the TAP thread, holding the socket, hands it over at once.
    /// Returns the run's frames, which the bridge gets.
    /// </summary>
    private byte[][] BulkBothWaysHandsOver(byte fill)
    {
        Assert.True(SpinWait.SpinUntil(() => _forwarder.VxlanWithTapThread, s_wait), "the TAP thread does not hold the socket");
        long handedOver = _forwarder.Counters.SocketsHandedOver;
        _forwarder.Macs.Learn(RemoteMac, _peer.Name, _time.GetTimestamp());
        long segments = _forwarder.Counters.SegmentsFromBridge;
        _tap.Inject(TcpTraffic.SuperFrame(RemoteMac, LocalMac, payload: 20_000), TcpTraffic.Gso());
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SegmentsFromBridge > segments, s_wait), "the super-frame was not sent");
        byte[][] run = DeliverRun(BulkRun(fill));
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SocketsHandedOver == handedOver + 1, s_wait), "bulk both ways handed nothing over");
        return run;
    }

    /// <summary>One small frame from the peer; returns it.</summary>
    private byte[] DeliverSingle(byte fill)
    {
        byte[] single = Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 60, fill: fill);
        _vxlan.Deliver(Frames.Vxlan(Vni, single), _peer.EndPoint);
        return single;
    }

    /// <summary>Frames of one size as one GRO run from the peer; returns them.</summary>
    private byte[][] DeliverRun(byte[][] frames)
    {
        byte[][] datagrams = [.. frames.Select(f => Frames.Vxlan(Vni, f))];
        _vxlan.Deliver([.. datagrams.SelectMany(d => d)], _peer.EndPoint, segmentSize: datagrams[0].Length);
        return frames;
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
            Assert.True(_vxlan.TryTakeSent(s_wait, out var sent), "expected a datagram to be sent");
            if (!HeartbeatBody.IsVxlanHeartbeat(sent.Datagram.AsSpan(VxlanHeader.SizeBytes)))
            {
                return sent.Datagram[VxlanHeader.SizeBytes..];
            }
        }
    }
}

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
/// The TAP thread serving the sockets while traffic is light, and handing them to their own
/// threads on bulk traffic and back when idle (Forwarder.Handoff.cs), over the in-memory fakes.
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
    public void GroRun_HandsTheSocketsOver_AndIdleHandsThemBack()
    {
        byte[][] run = [.. Enumerable.Range(0, 8).Select(i => Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 200, fill: (byte)i))];
        DeliverRun(run);
        foreach (byte[] frame in run)
        {
            Assert.Equal(frame, TakeWritten());
        }
        // The hand-over follows the batch's TAP write: wait for it. Both sockets, VXLAN and sleeve.
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SocketsHandedOver == 2, s_wait), "the GRO run handed nothing over");

        // Each socket thread waits 20 ms for more, then gives its socket back.
        Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref _forwarder.Counters.SocketsHandedBack) == 2, s_wait), "the sockets were not handed back");
        Assert.True(SpinWait.SpinUntil(() => _forwarder.VxlanWithTapThread, s_wait));
        long waitsBefore = _readiness.WaitsOnVxlan;
        byte[] single = Frames.Ethernet(LocalMac, RemoteMac, fill: 0x77);
        _udp.Deliver(Frames.Vxlan(Vni, single), _peer.EndPoint);
        Assert.Equal(single, TakeWritten());
        Assert.True(_readiness.WaitsOnVxlan > waitsBefore, "the TAP thread did not take the socket back");
    }

    [Fact]
    public void BulkFromTheBridge_HandsTheSocketsOver()
    {
        byte[][] frames = [.. Enumerable.Range(0, 8).Select(i => Frames.Ethernet(Frames.Broadcast, LocalMac, fill: (byte)i))];
        foreach (byte[] frame in frames)
        {
            _tap.Inject(frame);
        }
        foreach (byte[] frame in frames)
        {
            Assert.Equal(frame, TakeSentFrame());
        }
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SocketsHandedOver >= 2, s_wait), "a batch of 8 frames from the bridge handed nothing over");
    }

    /// <summary>
    /// Bursts (handed to the socket thread) and single datagrams (served by the TAP thread once
    /// the socket is back) alternate: every frame reaches the bridge once, in order, so the socket
    /// and its batches were never read by two threads at once.
    /// </summary>
    [Fact]
    public void AlternatingBurstsAndSingles_DeliverEveryFrameOnceInOrder()
    {
        const int Rounds = 5;
        var expected = new List<byte[]>();
        byte fill = 0;
        for (int round = 0; round < Rounds; round++)
        {
            Assert.True(SpinWait.SpinUntil(() => _forwarder.VxlanWithTapThread, s_wait), "the socket did not come back to the TAP thread");
            long handedOver = _forwarder.Counters.SocketsHandedOver;
            byte[][] run = [.. Enumerable.Range(0, 6).Select(_ => Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 100, fill: fill++))];
            DeliverRun(run);
            expected.AddRange(run);
            Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SocketsHandedOver > handedOver, s_wait), "the burst handed nothing over");
            for (int k = 0; k < 3; k++)
            {
                byte[] single = Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 60, fill: fill++);
                _udp.Deliver(Frames.Vxlan(Vni, single), _peer.EndPoint);
                expected.Add(single);
                Thread.Sleep(k == 0 ? 0 : 15); // the first right behind the burst, to its socket thread; the others around the hand-back
            }
        }
        foreach (byte[] frame in expected)
        {
            Assert.Equal(frame, TakeWritten());
        }
        Assert.False(_tap.TryTakeWritten(TimeSpan.FromMilliseconds(50), out _), "a frame was written twice");
        Assert.True(Interlocked.Read(ref _forwarder.Counters.SocketsHandedBack) >= 2 * (Rounds - 1));
    }

    [Fact]
    public void Dispose_WhileTheSocketThreadsHoldTheSockets_IsPrompt()
    {
        DeliverRun([.. Enumerable.Range(0, 8).Select(i => Frames.Ethernet(LocalMac, RemoteMac, payloadBytes: 200, fill: (byte)i))]);
        Assert.True(SpinWait.SpinUntil(() => _forwarder.Counters.SocketsHandedOver >= 1, s_wait));
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

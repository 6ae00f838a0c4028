using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Weave.Crypto;
using Weave.Gossip;
using Weave.Gossip.Routing;
using Weave.Gossip.Topology;
using Weave.Linux;
using Weave.Router.DataPlane;
using Weave.Tests.Gossip.Routing;
using Weave.Tests.Router.Fakes;

namespace Weave.Tests.Router;

/// <summary>
/// Several forwarders wired together through the in-memory fakes, one batch at a time on the test
/// thread (no forwarder threads): a datagram one sends is delivered to the forwarder whose VXLAN
/// or sleeve address it was sent to, until nothing is in flight. Every hop is recorded. Peer i is
/// <see cref="TopologyBuilder.Name"/>(i) at 192.0.2.(i + 1), VXLAN on 6784, sleeve on 6783; the
/// data routes are computed from the links as every peer would. With <c>sealed</c>, each link has
/// its own data keys (one per direction, as a password's handshake gives), so every datagram
/// between neighbours is a sealed sleeve datagram, except over <c>trustedLinks</c>: links whose
/// ends trust each other (<c>--trusted-subnets</c>) get no keys, as the mesh hands them over.
/// With <c>kernelPath</c>, every peer runs the kernel fast path: clear links are on the
/// <see cref="NeighbourPath.Kernel"/> path, and each node's probes (<see cref="Node.Probes"/>) are
/// delivered to the node whose bridge MAC they are addressed to, as the two kernels would, subject
/// to <see cref="Drop"/> as VXLAN (not sleeve) hops.
/// </summary>
internal sealed class DataPlaneMesh : IDisposable
{
    private const int Vni = 6783;

    /// <param name="chunks">Every peer says it takes chunked super-frames (sealed links only use them).</param>
    /// <param name="mtu">The forwarders' overlay MTU; the largest by default.</param>
    /// <param name="suite">The sealed links' cipher: ChaCha20-Poly1305 (runs on any CPU) by default.</param>
    public DataPlaneMesh(int count, (int A, int B)[] links, TimeProvider? time = null, bool sealedLinks = false, (int A, int B)[]? trustedLinks = null,
        bool chunks = false, int mtu = OverlayMtu.Max, CipherSuite suite = CipherSuite.ChaCha20Poly1305, bool kernelPath = false)
    {
        var builder = new TopologyBuilder();
        for (int i = 0; i < count; i++)
        {
            builder.Peer(i);
        }
        foreach (var (a, b) in links)
        {
            builder.Link(a, b);
        }
        PeerTopology topology = builder.Build();
        time ??= TimeProvider.System;
        Nodes = [.. Enumerable.Range(0, count).Select(i => new Node(i, time, mtu, kernelPath))];
        _time = time;
        var keys = new Dictionary<(int From, int To), byte[]>();
        foreach (var (a, b) in links)
        {
            keys[(a, b)] = RandomNumberGenerator.GetBytes(RecordFormat.KeySizeBytes);
            keys[(b, a)] = RandomNumberGenerator.GetBytes(RecordFormat.KeySizeBytes);
        }
        foreach (Node node in Nodes)
        {
            foreach (var (a, b) in links)
            {
                if (a == node.Index || b == node.Index)
                {
                    Node other = Nodes[a == node.Index ? b : a];
                    bool trusted = trustedLinks is not null && (trustedLinks.Contains((a, b)) || trustedLinks.Contains((b, a)));
                    DataSealing? sealing = sealedLinks && !trusted
                        ? new DataSealing(new DatagramSealer(suite, keys[(node.Index, other.Index)], time),
                            new DatagramOpener(suite, keys[(other.Index, node.Index)], node.Forwarder.SealingCounters))
                        : null;
                    node.Forwarder.AddPeer(new DataPeer(other.Name, other.AsPeer.Display, other.VxlanEndPoint, other.SleeveEndPoint, sealing,
                        kernelPath ? NeighbourPath.Kernel : NeighbourPath.Vxlan)
                    { TakesChunks = chunks, ConnectionUid = ConnectionUid(a, b) });
                }
            }
            node.Forwarder.SetRoutes(RouteTable.Compute(node.Name, topology, establishedAndSymmetric: true));
        }
    }

    private readonly TimeProvider _time;

    public Node[] Nodes { get; }

    /// <summary>The shared id of the connection between two nodes, as both intros make it.</summary>
    public static ulong ConnectionUid(int a, int b) => 0x5157_0000_0000_0000UL | ((ulong)(uint)Math.Min(a, b) << 16) | (uint)Math.Max(a, b);

    /// <summary>Every datagram delivered: sender, receiver, and whether it went by sleeve.</summary>
    public List<(int From, int To, bool Sleeve)> Hops { get; } = [];

    /// <summary>The bytes of every datagram delivered (or dropped by <see cref="Drop"/>), in order: what a capture on the underlay sees.</summary>
    public List<(int From, int To, bool Sleeve, byte[] Datagram)> Wire { get; } = [];

    /// <summary>When set, datagrams it returns true for are lost on the way (a blocked port, a dead link).</summary>
    public Func<(int From, int To, bool Sleeve), bool>? Drop { get; set; }

    /// <summary>Datagrams sent to an address no forwarder has.</summary>
    public int Lost { get; private set; }

    /// <summary>Injects <paramref name="frame"/> into <paramref name="node"/>'s bridge side and delivers until quiet.</summary>
    public void FromBridge(int node, byte[] frame, VirtioNetHeader offload = default)
    {
        Nodes[node].Forwarder.ForwardFromBridge(Frames.FromBridge(frame, offload));
        Pump();
    }

    /// <summary>Every node sends the heartbeats due at <paramref name="now"/>; they are delivered until quiet.</summary>
    public void Heartbeats(long now)
    {
        foreach (Node node in Nodes)
        {
            node.Forwarder.SendHeartbeats(now);
        }
        Pump();
    }

    /// <summary>Heartbeat rounds every 100 ms of <paramref name="time"/> for <paramref name="duration"/>.</summary>
    public void RunHeartbeats(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, TimeSpan duration)
    {
        for (TimeSpan t = TimeSpan.Zero; t < duration; t += TimeSpan.FromMilliseconds(100))
        {
            Heartbeats(time.GetTimestamp());
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
    }

    /// <summary>The frames each node wrote to its bridge since the last call.</summary>
    public List<byte[]>[] TakeWritten() =>
        [.. Nodes.Select(n =>
        {
            var written = new List<byte[]>();
            while (n.Tap.TryTakeWritten(TimeSpan.Zero, out byte[] frame))
            {
                written.Add(frame);
            }
            return written;
        })];

    private void Pump()
    {
        bool moved = true;
        while (moved)
        {
            moved = false;
            foreach (Node from in Nodes)
            {
                while (from.Vxlan.TryTakeSend(TimeSpan.Zero, out var sent))
                {
                    Deliver(from, sent, sleeve: false);
                    moved = true;
                }
                while (from.Sleeve.TryTakeSend(TimeSpan.Zero, out var sent))
                {
                    Deliver(from, sent, sleeve: true);
                    moved = true;
                }
                while (from.Probes.Sent.TryDequeue(out byte[]? probe))
                {
                    DeliverProbe(from, probe);
                    moved = true;
                }
            }
        }
    }

    private void Deliver(Node from, (byte[] Datagram, IPEndPoint To, int SegmentSize) sent, bool sleeve)
    {
        Node? to = Nodes.FirstOrDefault(n => (sleeve ? n.SleeveEndPoint : n.VxlanEndPoint).Equals(sent.To));
        if (to is null)
        {
            Lost++;
            return;
        }
        Wire.Add((from.Index, to.Index, sleeve, sent.Datagram));
        if (Drop?.Invoke((from.Index, to.Index, sleeve)) == true)
        {
            return;
        }
        Hops.Add((from.Index, to.Index, sleeve));
        Deliver(from, to, sent.Datagram, sent.SegmentSize, sleeve);
    }

    /// <summary>A probe through both kernels: to the node whose bridge MAC it is for, unless dropped as a VXLAN hop.</summary>
    private void DeliverProbe(Node from, byte[] frame)
    {
        ulong destination = MacAddress48.Read(frame);
        Node? to = Nodes.FirstOrDefault(n => BridgeMac.Of(n.Name) == destination);
        if (to is null)
        {
            Lost++;
            return;
        }
        if (Drop?.Invoke((from.Index, to.Index, false)) == true)
        {
            return;
        }
        Hops.Add((from.Index, to.Index, false));
        to.Forwarder.ReceiveProbe(frame, _time.GetTimestamp());
    }

    /// <summary>Delivers raw bytes as if <paramref name="from"/> sent them (a replay, a forgery), then whatever they cause.</summary>
    public void Inject(int from, int to, byte[] datagram, bool sleeve)
    {
        Deliver(Nodes[from], Nodes[to], datagram, 0, sleeve);
        Pump();
    }

    private static void Deliver(Node from, Node to, byte[] datagram, int segmentSize, bool sleeve)
    {
        var sent = (Datagram: datagram, SegmentSize: segmentSize);
        var datagrams = new PacketBatch(1, allocateBuffers: true);
        datagrams.Offsets[0] = PacketBatch.Headroom - (sleeve ? SleeveHeader.SizeBytes : VxlanHeader.SizeBytes);
        sent.Datagram.CopyTo(datagrams.Buffers[0], datagrams.Offsets[0]);
        datagrams.Lengths[0] = sent.Datagram.Length;
        datagrams.SegmentSizes[0] = sent.SegmentSize;
        datagrams.Endpoints[0] = UdpEndpoint.FromIPEndPoint(sleeve ? from.SleeveEndPoint : from.VxlanEndPoint);
        datagrams.Count = 1;
        if (sleeve)
        {
            to.Forwarder.ForwardFromSleeve(datagrams);
        }
        else
        {
            to.Forwarder.ForwardFromVxlan(datagrams);
        }
    }

    public void Dispose()
    {
        foreach (Node node in Nodes)
        {
            node.Forwarder.Dispose();
        }
    }

    internal sealed class Node
    {
        public Node(int index, TimeProvider time, int mtu = OverlayMtu.Max, bool kernelPath = false)
        {
            Index = index;
            Name = TopologyBuilder.Name(index);
            var address = IPAddress.Parse($"192.0.2.{index + 1}");
            VxlanEndPoint = new IPEndPoint(address, 6784);
            SleeveEndPoint = new IPEndPoint(address, 6783);
            AsPeer = new DataPeer(Name, $"{Name}(host{index})", VxlanEndPoint, SleeveEndPoint);
            Forwarder = new Forwarder(Name, Tap, Vxlan, Sleeve, Vni, time, NullLogger.Instance) { Mtu = mtu, ProbePort = kernelPath ? Probes : null };
        }

        public int Index { get; }
        public PeerName Name { get; }
        public IPEndPoint VxlanEndPoint { get; }
        public IPEndPoint SleeveEndPoint { get; }
        public DataPeer AsPeer { get; }
        public ChannelTapDevice Tap { get; } = new();
        public ChannelDatagramTransport Vxlan { get; } = new();
        public ChannelDatagramTransport Sleeve { get; } = new();
        public RecordingFramePort Probes { get; } = new();
        public Forwarder Forwarder { get; }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;
using Weave.Gossip.Topology;
using Weave.Router.Api;
using Weave.Router.DataPlane;

namespace Weave.Router.Mesh;

/// <summary>
/// Runs a <see cref="MeshNode"/> over real TCP: the listener (with an accept rate limit), dials
/// for the node's targets, and one loop that owns the node. Everything that touches the node is
/// posted to that loop as a work item; connections feed it frames, the loop ticks the node's
/// timers. Established connections are announced to the data plane.
/// </summary>
public sealed partial class MeshHost : IMeshTransport, IMeshControl, IAsyncDisposable
{
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_maxIdleWait = TimeSpan.FromSeconds(1);

    // Repeated events logged a few at a time (LogThrottle): what a storm of connections logs.
    private const string RefusedKind = "connections refused";
    private const string HandshakeFailedKind = "failed handshakes";
    private const string EstablishedKind = "connections established";
    private const string ClosedKind = "short-lived connections closed";
    private const int RefusalBurst = 5;
    private const int ConnectionBurst = 10;

    /// <summary>A connection closed sooner than this after its handshake is logged within the throttle; a longer one always.</summary>
    private static readonly TimeSpan s_shortLived = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly ConnectionSetup _setup;
    private readonly IDataPlane _dataPlane;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly MeshNode _node;
    private readonly int _dataPort;
    // Unbounded as a channel, bounded by what feeds it: a connection's frames by its receive
    // budget (TcpMeshConnection.ReceiveBudgetBytes), handshakes by the accept limits, API calls by
    // the HTTP server's. A bound here would have to drop or block the loop's own work instead.
    private readonly Channel<Action> _mailbox = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly LogThrottle _logThrottle;
    private readonly MemoryReturn _memoryReturn;

    /// <summary><c>--peer-clusters</c>, for the cluster view (the node enforces it on connections).</summary>
    private readonly IReadOnlySet<string>? _peerClusters;

    // Owned by the mesh loop: which connection each data peer came from.
    private readonly Dictionary<PeerName, (TcpMeshConnection Connection, DataPeer Peer)> _dataPeers = [];

    /// <param name="dataPort">The UDP port of our data plane, announced in every intro.</param>
    /// <param name="security">With <c>--password</c>: every control connection is sealed; null without.</param>
    /// <param name="trust"><c>--trusted-subnets</c>: peers there may get our data unencrypted if they trust us too.</param>
    public MeshHost(PeerIdentity self, int dataPort, MeshOptions options, Socket listener, IDataPlane dataPlane, TimeProvider time, Random random, ILogger log,
        ControlSecurity? security = null, SubnetTrust? trust = null)
    {
        ArgumentNullException.ThrowIfNull(self);
        _listener = listener;
        _dataPlane = dataPlane;
        _time = time;
        _log = log;
        _logThrottle = new LogThrottle(time, TimeSpan.FromMinutes(1));
        _memoryReturn = new MemoryReturn(time);
        _setup = new ConnectionSetup(self, dataPort, time, random, security, trust, dataPlane.TakesChunks, dataPlane.UsesKernelPath);
        _dataPort = dataPort;
        _node = new MeshNode(self, options, this, time, random);
        _peerClusters = options.PeerClusters;
        _node.DataRoutesChanged += routes =>
        {
            _dataPlane.SetRoutes(routes);
            AnnounceClusters();
        };
        _node.DialHeldBack += (target, reason) => RouterLog.DialHeldBack(_log, target.ToString(), reason);
        _dataPlane.DataPathHealthChanged += (peer, healthy, reason) => Post(() => OnDataPathHealth(peer, healthy, reason));
        _node.PeersRemoved += removed =>
        {
            foreach (PeerRecord record in removed)
            {
                RouterLog.PeerRemoved(_log, LogText.Escape(record.Display));
            }
            AnnounceClusters();
        };
    }

    /// <summary>Binds and listens on the mesh port; throws <see cref="SocketException"/> when it is taken.</summary>
    public static Socket Listen(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endPoint);
            socket.Listen(128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Start(IEnumerable<PeerAddress> targets)
    {
        PeerAddress[] initial = [.. targets];
        Post(() =>
        {
            _node.Start(initial);
            _dataPlane.SetRoutes(_node.DataRoutes);
        });
        _loops.Add(Task.Run(() => MeshLoopAsync(_stop.Token)));
        _loops.Add(Task.Run(() => AcceptLoopAsync(_stop.Token)));
    }

    public Task<MeshStatus> StatusAsync(CancellationToken ct) => Ask(() => WithOverlays(_node.Status()), ct);

    /// <summary>The node's status with each connection's overlay, which only the data plane knows.</summary>
    private MeshStatus WithOverlays(MeshStatus status) => status with
    {
        Connections = [.. status.Connections.Select(row =>
        {
            if (row.Peer is not { } name || !_dataPeers.TryGetValue(name, out var current))
            {
                return row;
            }
            (string overlay, string? reason) = _dataPlane.OverlayOf(current.Peer);
            return row with { Overlay = overlay, NotFastReason = reason };
        })],
    };

    public Task ConnectAsync(IReadOnlyList<PeerAddress> peers, bool replace, CancellationToken ct) =>
        Ask(() => { _node.Connect(peers, replace); return true; }, ct);

    public Task ForgetAsync(IReadOnlyList<PeerAddress> peers, CancellationToken ct) =>
        Ask(() => { _node.Forget(peers); return true; }, ct);

    public async ValueTask DisposeAsync()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            _node.Stop();
            stopped.TrySetResult();
        });
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        _mailbox.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            // Loops end on cancellation; a stuck one must not hold up shutdown.
        }
        _stop.Dispose();
    }

    private void Post(Action work) => _mailbox.Writer.TryWrite(work);

    private async Task<T> Ask<T>(Func<T> question, CancellationToken ct)
    {
        var answer = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                answer.TrySetResult(question());
            }
            catch (Exception e)
            {
                // A request the node or allocator refuses (or a bug in it) fails alone, with its
                // reason in the answer; the loop that carries the mesh goes on.
                answer.TrySetException(e);
            }
        });
        return await answer.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task MeshLoopAsync(CancellationToken ct)
    {
        ChannelReader<Action> reader = _mailbox.Reader;
        while (!ct.IsCancellationRequested)
        {
            while (reader.TryRead(out Action? work))
            {
                work();
            }
            _node.Tick();
            _allocator?.Tick();
            StartIpamWrite();
            _memoryReturn.Tick();
            foreach ((string kind, int count) in _logThrottle.TakeSuppressed())
            {
                RouterLog.Suppressed(_log, count, kind, (int)_logThrottle.Interval.TotalSeconds);
            }
            DateTimeOffset next = _node.NextDeadline;
            if (_allocator is not null && _allocator.NextDeadline < next)
            {
                next = _allocator.NextDeadline;
            }
            TimeSpan wait = next - _time.GetUtcNow();
            wait = wait < TimeSpan.Zero ? TimeSpan.Zero : wait > s_maxIdleWait ? s_maxIdleWait : wait;
            try
            {
                await reader.WaitToReadAsync(ct).AsTask().WaitAsync(wait, _time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // A deadline of the node is due.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>On the mesh loop: a handshake completed; the node decides whether to keep it.</summary>
    private void Admit(TcpMeshConnection connection)
    {
        if (!_node.OnConnected(connection))
        {
            if (_logThrottle.ShouldLog(RefusedKind, RefusalBurst))
            {
                RouterLog.ConnectionRefused(_log, connection.RemoteAddress, LogText.Escape($"{connection.Remote.Display}: {connection.CloseReason ?? "refused"}"));
            }
            connection.Discard();
            return;
        }
        PeerName name = connection.Remote.Name;
        // Our routers put VXLAN at the mesh port + 1 (the intro's DataPort) and the sleeve at the mesh port.
        IPAddress address = connection.RemoteEndPoint.Address;
        // With a password the connection's data keys seal everything between us, unless both ends
        // trust each other's address: then it has none and our data goes as without a password
        // (docs/encryption.md).
        DataSealing? sealing = connection.DataKeys is { } keys ? DataSealing.FromKeys(keys, _time, _dataPlane.SealingCounters) : null;
        // Its display name is logged by the data plane: escaped once here, as network text.
        var peer = new DataPeer(name, LogText.Escape(connection.Remote.Display), new IPEndPoint(address, connection.Intro.DataPort),
            new IPEndPoint(address, connection.Intro.DataPort - 1), sealing, PathTo(connection.Intro, address))
        {
            TakesChunks = connection.Intro.TakesChunks,
            ConnectionUid = connection.ConnectionUid,
        };
        _dataPeers[name] = (connection, peer);
        _dataPlane.AddPeer(peer);
        _memoryReturn.OnConnectionChange();
        if (_logThrottle.ShouldLog(EstablishedKind, ConnectionBurst))
        {
            RouterLog.ConnectionEstablished(_log, LogText.Escape(connection.Remote.Display), connection.RemoteEndPoint,
                connection.Outbound ? "outbound" : "inbound", connection.Version);
        }
        if (connection.ControlSealed && !connection.Encrypted)
        {
            RouterLog.DataUnencryptedTrusted(_log, LogText.Escape(connection.Remote.Display));
        }
        connection.Start(
            (c, tag, body) => Post(() =>
            {
                try
                {
                    _node.OnMessage(c, tag, body);
                }
                finally
                {
                    c.FrameHandled(body.Length);
                }
            }),
            c => Post(() => _node.OnSendDrained(c)),
            _stop.Token);
        _ = connection.Completion.ContinueWith(
            t => Post(() => OnClosed(connection, t.Result)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// How direct frames to a peer travel in clear: between two fast-path routers on the same data
    /// port over IPv4, by the kernels; between two userspace ones, by their VXLAN sockets; between
    /// one of each, by sleeve (the fast-path router cannot send from the port the other's VXLAN
    /// receiver hears, and that receiver would not answer probes). docs/dataplane.md.
    /// </summary>
    private NeighbourPath PathTo(PeerIntro intro, IPAddress address)
    {
        if (_dataPlane.UsesKernelPath != intro.FastDp)
        {
            return NeighbourPath.Sleeve;
        }
        if (!intro.FastDp)
        {
            return NeighbourPath.Vxlan;
        }
        return intro.DataPort == _dataPort && address.AddressFamily == AddressFamily.InterNetwork && !address.IsIPv4MappedToIPv6
            ? NeighbourPath.Kernel
            : NeighbourPath.Sleeve;
    }

    private void OnClosed(TcpMeshConnection connection, string reason)
    {
        _node.OnClosed(connection, reason);
        _memoryReturn.OnConnectionChange();
        PeerName name = connection.Remote.Name;
        if (_dataPeers.TryGetValue(name, out var current) && current.Connection == connection)
        {
            _dataPeers.Remove(name);
            _dataPlane.RemovePeer(name);
        }
        if (_time.GetElapsedTime(connection.HandshakeDone) >= s_shortLived || _logThrottle.ShouldLog(ClosedKind, ConnectionBurst))
        {
            RouterLog.ConnectionClosed(_log, LogText.Escape(connection.Remote.Display), connection.RemoteEndPoint, LogText.Escape(reason));
        }
    }

    /// <summary>On the mesh loop: the data plane's verdict on a neighbour's UDP path, for the connection it belongs to.</summary>
    private void OnDataPathHealth(DataPeer peer, bool healthy, string reason)
    {
        if (_dataPeers.TryGetValue(peer.Name, out var current) && current.Peer == peer &&
            _node.SetDataPathHealth(current.Connection, healthy, reason))
        {
            if (healthy)
            {
                RouterLog.DataPathHealthy(_log, peer.Display);
            }
            else
            {
                RouterLog.DataPathUnhealthy(_log, peer.Display, reason);
            }
        }
    }
}

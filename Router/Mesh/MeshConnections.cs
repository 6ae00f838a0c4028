using Weave.Gossip.Mesh;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Weave.Gossip;
using Weave.Router.DataPlane;

namespace Weave.Router.Mesh;

/// <summary>
/// The router's control connections: the TCP listener, one dial loop per target, and the table
/// of established connections. The table is owned by a single loop fed through a mailbox; dial
/// and accept tasks only post to it. It tells the data plane which peers are reachable.
/// </summary>
public sealed partial class MeshConnections : IAsyncDisposable
{
    private readonly LocalPeer _local;
    private readonly Socket _listener;
    private readonly ConnectionSetup _setup;
    private readonly IDataPlane _dataPlane;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _log;
    private readonly Channel<Command> _mailbox = Channel.CreateUnbounded<Command>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    // Owned by the mesh loop.
    private readonly Dictionary<PeerName, PeerConnection> _connections = [];

    // Written only by the mesh loop; read by dial loops to avoid dialling a peer that dialled us.
    private volatile PeerConnection[] _established = [];

    // Fixed at start; each target's state is written by its own dial loop.
    private readonly List<Target> _targets = [];

    public MeshConnections(LocalPeer local, Socket listener, IDataPlane dataPlane, TimeProvider time, Random random, ILogger log)
    {
        _local = local;
        _listener = listener;
        _dataPlane = dataPlane;
        _time = time;
        _random = random;
        _log = log;
        _setup = new ConnectionSetup(local, time, random);
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
        ArgumentNullException.ThrowIfNull(targets);
        _loops.Add(Task.Run(() => MeshLoopAsync(_stop.Token)));
        _loops.Add(Task.Run(() => AcceptLoopAsync(_stop.Token)));
        foreach (PeerAddress address in targets.Distinct())
        {
            var target = new Target(address);
            _targets.Add(target);
            _loops.Add(Task.Run(() => DialLoopAsync(target, _stop.Token)));
        }
    }

    public async Task<MeshStatus> GetStatusAsync(CancellationToken ct)
    {
        var query = new StatusQuery();
        await _mailbox.Writer.WriteAsync(query, ct).ConfigureAwait(false);
        return await query.Reply.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        _mailbox.Writer.TryComplete();
        foreach (PeerConnection connection in _established)
        {
            connection.Close("router shutting down");
        }
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

    private abstract record Command;

    private sealed record Established(PeerConnection Connection) : Command;

    private sealed record Closed(PeerConnection Connection, string Reason) : Command;

    private sealed record StatusQuery : Command
    {
        public TaskCompletionSource<MeshStatus> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task MeshLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (Command command in _mailbox.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                switch (command)
                {
                    case Established e:
                        OnEstablished(e.Connection, ct);
                        break;
                    case Closed c:
                        OnClosed(c.Connection, c.Reason);
                        break;
                    case StatusQuery q:
                        q.Reply.TrySetResult(BuildStatus());
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown.
        }
    }

    private void OnEstablished(PeerConnection connection, CancellationToken ct)
    {
        connection.Start(ct);
        _ = connection.Completion.ContinueWith(
            t => _mailbox.Writer.TryWrite(new Closed(connection, t.Result)),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        PeerName name = connection.Remote.Name;
        if (_connections.TryGetValue(name, out PeerConnection? existing))
        {
            if (existing.Remote.Uid != connection.Remote.Uid)
            {
                existing.Close("superseded: the peer restarted");
            }
            else if (connection.ConnectionUid < existing.ConnectionUid)
            {
                // Both ends compare the same connection UIDs, so both keep the same connection.
                existing.Close("duplicate connection");
            }
            else
            {
                connection.Close("duplicate connection");
                if (connection.ConnectionUid == existing.ConnectionUid)
                {
                    existing.Close("duplicate connection with an equal UID");
                }
                return;
            }
        }
        _connections[name] = connection;
        _established = [.. _connections.Values];
        var dataEndPoint = new IPEndPoint(connection.RemoteEndPoint.Address, connection.Remote.DataPort);
        _dataPlane.AddPeer(new DataPeer(name, connection.Display, dataEndPoint));
        RouterLog.ConnectionEstablished(_log, connection.Display, connection.RemoteEndPoint,
            connection.Outbound ? "outbound" : "inbound", connection.Version);
    }

    private void OnClosed(PeerConnection connection, string reason)
    {
        PeerName name = connection.Remote.Name;
        if (!_connections.TryGetValue(name, out PeerConnection? current) || current != connection)
        {
            return;
        }
        _connections.Remove(name);
        _established = [.. _connections.Values];
        _dataPlane.RemovePeer(name);
        RouterLog.ConnectionClosed(_log, connection.Display, connection.RemoteEndPoint, reason);
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || ct.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // A connection reset before we accepted it.
                continue;
            }
            _ = AcceptAsync(socket, ct);
        }
    }

    private async Task AcceptAsync(Socket socket, CancellationToken ct)
    {
        string remote = socket.RemoteEndPoint?.ToString() ?? "?";
        try
        {
            PeerConnection connection = await _setup.RunAsync(socket, outbound: false, ct).ConfigureAwait(false);
            if (!_mailbox.Writer.TryWrite(new Established(connection)))
            {
                connection.Close("router shutting down");
            }
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            RouterLog.ConnectionRefused(_log, remote, e.Message);
        }
        catch (Exception)
        {
            // Shutting down during a handshake.
        }
    }
}

using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;

namespace Weave.Router.Mesh;

/// <summary>
/// A control connection over TCP after its handshake, as the mesh node sees it. Three loops:
/// receive (frames to the mesh loop, heartbeats consumed here), send (a queue, so
/// <see cref="Send"/> never blocks the mesh loop), and heartbeats. It ends when the peer closes,
/// breaks the framing, goes silent for <see cref="WireFormat.ReceiveTimeout"/>, stops reading
/// (see <see cref="MaxSendBacklogBytes"/>), or is closed; <see cref="Completion"/> then gives
/// the reason. What a peer can make us hold is bounded both ways: the send queue by
/// <see cref="MaxSendBacklogBytes"/> (the mesh node holds back what it can coalesce well before),
/// received frames not yet handled by the mesh loop by <see cref="ReceiveBudgetBytes"/> (the
/// receive loop stops reading, and TCP pushes back), a frame being read by the frame limit. With a password every frame (heartbeats too)
/// travels sealed: the send loop seals in queue order, the receive loop opens in strict order, and
/// a record that fails to open ends the connection.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The connection disposes its token source itself when it ends; owners call Close, not Dispose.")]
public sealed class TcpMeshConnection : IMeshConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closing = new();
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ControlSession? _session;
    private readonly bool _dataSealed;
    private readonly Lock _receiveGate = new();
    private string? _closeReason;
    private long _sendBacklog;
    private long _lastSendProgress;
    private long _lastReceived;
    private long _received;
    private TaskCompletionSource? _receiveRoom;
    private Action<TcpMeshConnection>? _drained;

    /// <summary>
    /// Bytes queued for the peer and not yet taken by its socket at which the connection is
    /// dropped: two frames of the largest size, far above what a reading peer ever has waiting
    /// (the node holds back coalescable messages from 64 kB on).
    /// </summary>
    public const long MaxSendBacklogBytes = 2L * WireFormat.MaxFrameBytes;

    /// <summary>A peer that has taken none of what waits for it for this long is dropped.</summary>
    public static readonly TimeSpan SendStallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Received frames not yet handled by the mesh loop, in bytes, beyond which the receive loop waits.</summary>
    public const long ReceiveBudgetBytes = 256 * 1024;

    public TcpMeshConnection(Socket socket, NetworkStream stream, PipeReader reader, HandshakeResult handshake,
        ulong localConnectionId, bool outbound, string remoteAddress, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(handshake);
        _socket = socket;
        _stream = stream;
        _reader = reader;
        _time = time;
        Intro = handshake.Remote;
        Remote = new PeerIdentity(Intro.Name, Intro.NickName, Intro.Uid) { Cluster = Intro.Cluster };
        Version = handshake.Version;
        _session = handshake.Session;
        _dataSealed = handshake.DataSealed;
        Outbound = outbound;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        RemoteAddress = remoteAddress;
        // Both ends compute the same value, so both keep the same one of two duplicate connections.
        ConnectionUid = localConnectionId ^ Intro.ConnectionId;
        _lastReceived = time.GetUtcNow().UtcTicks;
        _lastSendProgress = time.GetTimestamp();
        HandshakeDone = time.GetTimestamp();
    }

    /// <summary>When the handshake completed (a <see cref="TimeProvider"/> timestamp).</summary>
    public long HandshakeDone { get; }

    public PeerIdentity Remote { get; }

    /// <summary>All the peer said in its intro (its data port among it).</summary>
    public PeerIntro Intro { get; }

    public byte Version { get; }
    public bool Outbound { get; }
    public string RemoteAddress { get; }
    public IPEndPoint RemoteEndPoint { get; }
    public ulong ConnectionUid { get; }

    /// <summary>
    /// The data between us is sealed: both ends have the password and not both trust the other's
    /// address (<see cref="DataTrust"/>). What <c>weave status connections</c> shows as <c>encrypted</c>.
    /// </summary>
    public bool Encrypted => _dataSealed;

    /// <summary>Control frames are sealed (both ends have the password), whatever the data plane does.</summary>
    public bool ControlSealed => _session is not null;

    /// <summary>A sealed handshake proved the peer holds the password.</summary>
    public bool Authenticated => _session is not null;

    public DateTimeOffset LastReceived => new(Interlocked.Read(ref _lastReceived), TimeSpan.Zero);

    public long SendBacklogBytes => Interlocked.Read(ref _sendBacklog);

    /// <summary>
    /// The session's keys for the data plane when the data between us is sealed; null without a
    /// password or when both ends trust each other (Weave: "the overlay gets no session key").
    /// </summary>
    public Weave.Crypto.SessionKeys? DataKeys => _dataSealed ? _session?.Keys : null;

    /// <summary>Completes with the reason once the connection is gone.</summary>
    public Task<string> Completion => _completion.Task;

    public void Send(byte tag, ReadOnlyMemory<byte> body)
    {
        byte[] frame = FrameCodec.Encode((FrameTag)tag, body.Span);
        Enqueue(frame);
    }

    private void Enqueue(byte[] frame)
    {
        if (Volatile.Read(ref _closeReason) is not null)
        {
            return;
        }
        long backlog = Interlocked.Add(ref _sendBacklog, frame.Length);
        if (backlog > MaxSendBacklogBytes)
        {
            Close($"not reading: {backlog / 1024} kB waiting to be sent");
            return;
        }
        if (backlog == frame.Length)
        {
            // The queue was empty: a stall is timed from now, not from the last write long ago.
            Interlocked.Exchange(ref _lastSendProgress, _time.GetTimestamp());
        }
        _outgoing.Writer.TryWrite(frame);
    }

    /// <summary>
    /// Starts the loops; every frame other than a heartbeat goes to <paramref name="onFrame"/>,
    /// which must call <see cref="FrameHandled"/> once it is done with it. <paramref name="drained"/>
    /// is told when a send queue that was backed up has emptied.
    /// </summary>
    public void Start(Action<TcpMeshConnection, byte, byte[]> onFrame, Action<TcpMeshConnection> drained, CancellationToken cancellationToken)
    {
        _drained = drained;
        _ = RunAsync(onFrame, cancellationToken);
    }

    /// <summary>The mesh loop is done with a frame of <paramref name="bodyBytes"/> that <c>onFrame</c> was given.</summary>
    public void FrameHandled(int bodyBytes)
    {
        TaskCompletionSource? room = null;
        lock (_receiveGate)
        {
            _received -= bodyBytes;
            if (_received <= ReceiveBudgetBytes)
            {
                room = _receiveRoom;
                _receiveRoom = null;
            }
        }
        room?.TrySetResult();
    }

    /// <summary>Ends the connection with a reason; safe to call more than once.</summary>
    public void Close(string reason)
    {
        Interlocked.CompareExchange(ref _closeReason, reason, null);
        _outgoing.Writer.TryComplete();
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already torn down.
        }
    }

    /// <summary>The reason given to <see cref="Close"/>, if any.</summary>
    public string? CloseReason => _closeReason;

    /// <summary>Releases a connection whose loops never started (the mesh refused it).</summary>
    public void Discard()
    {
        Close("refused");
        Teardown();
        _completion.TrySetResult(_closeReason!);
    }

    private async Task RunAsync(Action<TcpMeshConnection, byte, byte[]> onFrame, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        Task sending = SendAsync(linked.Token);
        Task heartbeats = SendHeartbeatsAsync(linked.Token);
        string reason;
        try
        {
            reason = await ReceiveAsync(onFrame, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            reason = _closeReason ?? "router shutting down";
        }
        catch (Exception e)
        {
            // Whatever broke the connection (I/O, bad framing), it ends here with the reason.
            reason = _closeReason ?? e.Message;
        }
        await linked.CancelAsync().ConfigureAwait(false);
        _outgoing.Writer.TryComplete();
        try
        {
            await Task.WhenAll(sending, heartbeats).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The write side died with the connection; the reason is already known.
        }
        Teardown();
        _completion.TrySetResult(reason);
    }

    private async Task<string> ReceiveAsync(Action<TcpMeshConnection, byte, byte[]> onFrame, CancellationToken ct)
    {
        using var silence = new CancellationTokenSource(WireFormat.ReceiveTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, silence.Token);
        while (true)
        {
            (byte Tag, byte[] Body)? frame;
            try
            {
                frame = _session is null
                    ? await FrameCodec.ReadFrameAsync(_reader, WireFormat.MaxFrameBytes, linked.Token).ConfigureAwait(false)
                    : await SealedFrames.ReadFrameAsync(_reader, _session.Opener, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (silence.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                return $"nothing received for {WireFormat.ReceiveTimeout.TotalSeconds:0} s";
            }
            if (frame is null)
            {
                return _closeReason ?? "closed by the peer";
            }
            silence.CancelAfter(WireFormat.ReceiveTimeout);
            Interlocked.Exchange(ref _lastReceived, _time.GetUtcNow().UtcTicks);
            if (frame.Value.Tag != (byte)FrameTag.Heartbeat)
            {
                Task room = TakeReceiveBudget(frame.Value.Body.Length);
                onFrame(this, frame.Value.Tag, frame.Value.Body);
                await room.WaitAsync(linked.Token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Counts a frame as handed to the mesh loop; completes once the loop has room for more.</summary>
    private Task TakeReceiveBudget(int bodyBytes)
    {
        lock (_receiveGate)
        {
            _received += bodyBytes;
            if (_received <= ReceiveBudgetBytes)
            {
                return Task.CompletedTask;
            }
            _receiveRoom ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _receiveRoom.Task;
        }
    }

    private async Task SendAsync(CancellationToken ct)
    {
        await foreach (byte[] frame in _outgoing.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            // Sealing here, on the one send loop, keeps record counters in the order records go out.
            byte[] bytes = _session is null ? frame : _session.Sealer.Seal(frame.AsSpan(WireFormat.FrameLengthSizeBytes));
            await _stream.WriteAsync(bytes, ct).ConfigureAwait(false);
            Interlocked.Exchange(ref _lastSendProgress, _time.GetTimestamp());
            long before = Interlocked.Add(ref _sendBacklog, -frame.Length) + frame.Length;
            if (before >= DrainNoticeBytes && before - frame.Length < DrainNoticeBytes)
            {
                _drained?.Invoke(this);
            }
        }
    }

    /// <summary>A backlog that falls below this tells the owner (the node's threshold for holding back is 64 kB).</summary>
    private const long DrainNoticeBytes = 32 * 1024;

    /// <summary>Whether something has waited for the peer's socket, untaken, for <see cref="SendStallTimeout"/>.</summary>
    private bool SendStalled() =>
        Interlocked.Read(ref _sendBacklog) > 0 &&
        _time.GetElapsedTime(Interlocked.Read(ref _lastSendProgress)) > SendStallTimeout;

    private async Task SendHeartbeatsAsync(CancellationToken ct)
    {
        byte[] heartbeat = FrameCodec.Encode(FrameTag.Heartbeat, []);
        using var timer = new PeriodicTimer(WireFormat.HeartbeatInterval, _time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            if (SendStalled())
            {
                Close($"not reading: nothing sent for {SendStallTimeout.TotalSeconds:0} s");
                return;
            }
            Enqueue(heartbeat);
        }
    }

    private void Teardown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already down.
        }
        _socket.Dispose();
        _reader.Complete();
        _closing.Dispose();
        _session?.Dispose();
    }
}

using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Weave.Gossip.Protocol;

namespace Weave.Router.Mesh;

/// <summary>
/// An established control connection to one peer: after the handshake it only exchanges
/// heartbeats (gossip arrives with the mesh work). It ends when the peer closes, breaks the
/// framing, goes silent for <see cref="WireFormat.ReceiveTimeout"/>, or we close it;
/// <see cref="Completion"/> then gives the reason.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The connection disposes its token source itself when it ends; owners call Close, not Dispose.")]
public sealed class PeerConnection
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<string> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _closeReason;

    public PeerConnection(Socket socket, NetworkStream stream, PipeReader reader, HandshakeResult handshake,
        ulong localConnectionId, bool outbound, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(handshake);
        _socket = socket;
        _stream = stream;
        _reader = reader;
        _time = time;
        Remote = handshake.Remote;
        Version = handshake.Version;
        Outbound = outbound;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        // Both ends compute the same value, so both keep the same one of two duplicate connections.
        ConnectionUid = localConnectionId ^ handshake.Remote.ConnectionId;
        EstablishedAt = time.GetUtcNow();
    }

    public PeerIntro Remote { get; }
    public byte Version { get; }
    public bool Outbound { get; }
    public IPEndPoint RemoteEndPoint { get; }
    public IPEndPoint LocalEndPoint { get; }
    public ulong ConnectionUid { get; }
    public DateTimeOffset EstablishedAt { get; }

    /// <summary>Completes with the reason once the connection is gone.</summary>
    public Task<string> Completion => _completion.Task;

    /// <summary>Starts the receive and heartbeat loops; they run until the connection ends.</summary>
    public void Start(CancellationToken cancellationToken) => _ = RunAsync(cancellationToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token);
        Task heartbeats = SendHeartbeatsAsync(linked.Token);
        string reason;
        try
        {
            reason = await ReceiveAsync(linked.Token).ConfigureAwait(false);
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
        try
        {
            await heartbeats.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The write side died with the connection; the reason is already known.
        }
        Teardown();
        _completion.TrySetResult(reason);
    }

    /// <summary>Ends a started connection with a reason (duplicate, shutdown, ...); safe to call twice.</summary>
    public void Close(string reason)
    {
        Interlocked.CompareExchange(ref _closeReason, reason, null);
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already torn down.
        }
    }

    private async Task<string> ReceiveAsync(CancellationToken ct)
    {
        using var silence = new CancellationTokenSource(WireFormat.ReceiveTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, silence.Token);
        while (true)
        {
            (byte Tag, byte[] Body)? frame;
            try
            {
                frame = await Handshake.ReadFrameAsync(_reader, WireFormat.MaxFrameBytes, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (silence.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                return $"nothing received for {WireFormat.ReceiveTimeout.TotalSeconds:0} s";
            }
            if (frame is null)
            {
                return "closed by the peer";
            }
            silence.CancelAfter(WireFormat.ReceiveTimeout);
            // Heartbeats only prove liveness; unknown tags are ignored so newer peers can add messages.
        }
    }

    private async Task SendHeartbeatsAsync(CancellationToken ct)
    {
        byte[] heartbeat = FrameCodec.Encode(FrameTag.Heartbeat, []);
        using var timer = new PeriodicTimer(WireFormat.HeartbeatInterval, _time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            await _stream.WriteAsync(heartbeat, ct).ConfigureAwait(false);
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
    }

    public string Display => Remote.Display;
}

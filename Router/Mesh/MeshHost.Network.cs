using System.Net;
using System.Net.Sockets;
using Weave.Gossip;

namespace Weave.Router.Mesh;

public sealed partial class MeshHost
{
    /// <summary>Accepts at most a burst of 20 connections, then one per 50 ms (Weave's limits).</summary>
    private const int AcceptBurst = 20;
    private static readonly TimeSpan s_acceptInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// One source address may start at most 10 handshakes at once, then one per 2 s: a real peer
    /// reconnects a few times a minute at most; a flood from one address cannot take the whole
    /// accept rate.
    /// </summary>
    private const int SourceBurst = 10;
    private static readonly TimeSpan s_sourceInterval = TimeSpan.FromSeconds(2);

    /// <summary>Called by the node on the mesh loop; the outcome is posted back to the loop.</summary>
    public void Dial(PeerAddress address) => _ = DialAsync(address, _stop.Token);

    private async Task DialAsync(PeerAddress address, CancellationToken ct)
    {
        try
        {
            IPAddress[] addresses = await ResolveAsync(address.Host, ct).ConfigureAwait(false);
            IPAddress ip = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
            Socket socket = await ConnectAsync(new IPEndPoint(ip, address.Port), ct).ConfigureAwait(false);
            TcpMeshConnection connection = await _setup.RunAsync(socket, outbound: true, address.ToString(), ct).ConfigureAwait(false);
            Post(() => Admit(connection));
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception e)
        {
            string error = e is SocketException se ? DescribeSocketError(se) : e.Message;
            RouterLog.DialFailed(_log, address.ToString(), LogText.Escape(error));
            Post(() => _node.OnDialFailed(address, error));
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            return [literal];
        }
        IPAddress[] found = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        return found.Length > 0 ? found : throw new SocketException((int)SocketError.HostNotFound);
    }

    private async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken ct)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(s_connectTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            try
            {
                await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new SocketException((int)SocketError.TimedOut);
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        var bucket = new TokenBucket(_time, AcceptBurst, s_acceptInterval);
        var perSource = new SourceRateLimit(_time, SourceBurst, s_sourceInterval);
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                TimeSpan wait = bucket.Take();
                while (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                    wait = bucket.Take();
                }
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
            if (socket.RemoteEndPoint is IPEndPoint source && !perSource.TryTake(source.Address))
            {
                if (_logThrottle.ShouldLog(RefusedKind, RefusalBurst))
                {
                    RouterLog.ConnectionRefused(_log, source.ToString(),
                        $"more than {SourceBurst} handshakes from {source.Address} within {SourceBurst * s_sourceInterval.TotalSeconds:0} s");
                }
                socket.Dispose();
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
            TcpMeshConnection connection = await _setup.RunAsync(socket, outbound: false, remote, ct).ConfigureAwait(false);
            Post(() => Admit(connection));
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            if (_logThrottle.ShouldLog(HandshakeFailedKind, RefusalBurst))
            {
                RouterLog.ConnectionRefused(_log, remote, LogText.Escape(e.Message));
            }
        }
        catch (Exception)
        {
            // Shutting down during a handshake.
        }
    }

    private static string DescribeSocketError(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.TimedOut => "connection timed out",
        SocketError.HostNotFound => "host not found",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.HostUnreachable => "host unreachable",
        _ => e.Message,
    };
}

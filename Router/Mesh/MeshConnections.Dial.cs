using Weave.Gossip.Mesh;
using System.Net;
using System.Net.Sockets;

namespace Weave.Router.Mesh;

public sealed partial class MeshConnections
{
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Keeps one target connected: dial, hand the connection to the mesh loop, wait for it to end,
    /// back off, repeat. A peer that already dialled us from the target's address counts as
    /// connected, so two routers that list each other settle on one connection.
    /// </summary>
    private async Task DialLoopAsync(Target target, CancellationToken ct)
    {
        var backoff = new Backoff(_random);
        bool failedBefore = false;
        while (!ct.IsCancellationRequested)
        {
            string error;
            try
            {
                IPAddress[] addresses = await ResolveAsync(target.Address.Host, ct).ConfigureAwait(false);
                PeerConnection? existing = Array.Find(_established, c => addresses.Contains(c.RemoteEndPoint.Address));
                if (existing is not null)
                {
                    target.State = new TargetState(ConnectionStates.Established, null, null);
                    await existing.Completion.WaitAsync(ct).ConfigureAwait(false);
                    continue;
                }
                target.State = new TargetState(failedBefore ? ConnectionStates.Retrying : ConnectionStates.Connecting, null, null);
                PeerConnection connection = await DialAsync(addresses, target.Address.Port, ct).ConfigureAwait(false);
                if (!_mailbox.Writer.TryWrite(new Established(connection)))
                {
                    connection.Close("router shutting down");
                    return;
                }
                target.State = new TargetState(ConnectionStates.Established, null, null);
                error = await connection.Completion.WaitAsync(ct).ConfigureAwait(false);
                if (_time.GetUtcNow() - connection.EstablishedAt >= Backoff.StableAfter)
                {
                    backoff.Reset();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (FatalTargetException e)
            {
                target.State = new TargetState(ConnectionStates.Failed, e.Message, null);
                RouterLog.TargetAbandoned(_log, target.Address.ToString(), e.Message);
                return;
            }
            catch (Exception e)
            {
                error = e is SocketException se ? DescribeSocketError(se) : e.Message;
            }
            failedBefore = true;
            TimeSpan delay = backoff.Next();
            target.State = new TargetState(ConnectionStates.Failed, error, _time.GetUtcNow() + delay);
            RouterLog.DialFailed(_log, target.Address.ToString(), error, delay);
            try
            {
                await Task.Delay(delay, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
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

    private async Task<PeerConnection> DialAsync(IPAddress[] addresses, int port, CancellationToken ct)
    {
        IPAddress address = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(s_connectTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new SocketException((int)SocketError.TimedOut);
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return await _setup.RunAsync(socket, outbound: true, ct).ConfigureAwait(false);
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

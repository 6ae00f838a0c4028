using System.Net;
using System.Net.Sockets;
using Weave.Linux;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// Echo servers inside one pod's network namespace, run by the test process, not by the pod: TCP
/// and UDP on each of <see cref="Ports"/>. The sockets are opened inside the namespace (a socket
/// keeps the namespace it was made in) and then served from the thread pool, so a probe's
/// packets really cross the pod's veth. TCP echoes every byte, so a long-lived connection can be
/// checked to still carry data; UDP sends each datagram back to its sender.
/// </summary>
internal sealed class PodServers : IAsyncDisposable
{
    public static readonly int[] Ports = [80, 81];

    private readonly List<Socket> _sockets;
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();

    private PodServers(List<Socket> sockets) => _sockets = sockets;

    public static PodServers Start(string netnsPath)
    {
        List<Socket> sockets = NetNs.Run(netnsPath, () =>
        {
            var opened = new List<Socket>();
            try
            {
                foreach (int port in Ports)
                {
                    var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    opened.Add(tcp);
                    tcp.Bind(new IPEndPoint(IPAddress.Any, port));
                    tcp.Listen(512);
                    var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    opened.Add(udp);
                    udp.Bind(new IPEndPoint(IPAddress.Any, port));
                }
                return opened;
            }
            catch
            {
                opened.ForEach(s => s.Dispose());
                throw;
            }
        });
        var servers = new PodServers(sockets);
        foreach (Socket socket in sockets)
        {
            servers._loops.Add(socket.SocketType == SocketType.Stream ? servers.AcceptAsync(socket) : servers.EchoDatagramsAsync(socket));
        }
        return servers;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _sockets.ForEach(s => s.Dispose());
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    private async Task AcceptAsync(Socket listener)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                Socket connection = await listener.AcceptAsync(_stop.Token);
                connections.Add(EchoStreamAsync(connection));
                connections.RemoveAll(c => c.IsCompleted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
        await Task.WhenAll(connections);
    }

    private async Task EchoStreamAsync(Socket connection)
    {
        using (connection)
        {
            byte[] buffer = new byte[256];
            try
            {
                while (true)
                {
                    int read = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }
                    _ = await connection.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The client went away, or we stop.
            }
        }
    }

    private async Task EchoDatagramsAsync(Socket socket)
    {
        byte[] buffer = new byte[256];
        var from = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                SocketReceiveFromResult received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, from, _stop.Token);
                _ = await socket.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, received.RemoteEndPoint, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // An ICMP error for an earlier reply: keep serving.
            }
        }
    }
}

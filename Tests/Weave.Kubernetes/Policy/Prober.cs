using System.Net;
using System.Net.Sockets;
using Weave.Linux;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// Probes from inside source pods' network namespaces: a TCP connection that echoes a byte (the
/// world's HTTP server answers a request instead), or a UDP datagram that comes back, each within
/// <see cref="Timeout"/>. A policy drops packets, so a denied probe is one that times out. Every
/// probe has a socket of its own (a new source port, so a new connection for conntrack); the
/// sockets of one source are made in one visit to its namespace, and the probes then run from the
/// thread pool, at most <see cref="Parallelism"/> at once.
/// </summary>
internal static class Prober
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    public const int Parallelism = 64;

    // UDP has no handshake: the datagram is sent again in case the first one waited for ARP.
    private static readonly TimeSpan s_udpResend = TimeSpan.FromMilliseconds(300);

    /// <summary>Whether each probe got through, in the order given.</summary>
    public static async Task<bool[]> RunAsync(IReadOnlyList<ProbeCase> probes, TimeSpan? timeout = null)
    {
        Socket[] sockets = Open(probes);
        try
        {
            using var gate = new SemaphoreSlim(Parallelism);
            Task<bool>[] runs = [.. probes.Select(async (probe, i) =>
            {
                await gate.WaitAsync();
                try
                {
                    return await ProbeAsync(sockets[i], new IPEndPoint(probe.Target.Address, probe.Port), probe.Protocol,
                        echoes: probe.Target.Pod is not null, timeout ?? Timeout);
                }
                finally
                {
                    _ = gate.Release();
                }
            })];
            return await Task.WhenAll(runs);
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    /// <summary>A TCP connection from <paramref name="source"/>'s namespace, not yet connected.</summary>
    public static Socket TcpSocketIn(ClusterPod source) =>
        NetNs.Run(source.NetnsPath, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));

    /// <summary>Sends a byte and waits for its echo on a connected stream.</summary>
    public static async Task<bool> EchoesAsync(Socket connected, byte value, TimeSpan? limit = null)
    {
        using var timeout = new CancellationTokenSource(limit ?? Timeout);
        try
        {
            byte[] buffer = [value];
            _ = await connected.SendAsync(buffer, SocketFlags.None, timeout.Token);
            int read = await connected.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return read == 1 && buffer[0] == value;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    private static Socket[] Open(IReadOnlyList<ProbeCase> probes)
    {
        var sockets = new Socket[probes.Count];
        try
        {
            foreach (IGrouping<string, int> source in Enumerable.Range(0, probes.Count).GroupBy(i => probes[i].Source.NetnsPath))
            {
                NetNs.Run(source.Key, () =>
                {
                    foreach (int i in source)
                    {
                        sockets[i] = probes[i].Protocol == Protocol.Tcp
                            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
                            : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    }
                });
            }
            return sockets;
        }
        catch
        {
            foreach (Socket? socket in sockets)
            {
                socket?.Dispose();
            }
            throw;
        }
    }

    /// <summary>The world's busybox httpd answers a request with a status line.</summary>
    private static async Task<bool> AnswersHttpAsync(Socket connected, CancellationToken cancel)
    {
        _ = await connected.SendAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), SocketFlags.None, cancel);
        byte[] reply = new byte[16];
        return await connected.ReceiveAsync(reply, SocketFlags.None, cancel) > 0;
    }

    /// <param name="echoes">Our echo server (a pod), or else an HTTP server (the world).</param>
    private static async Task<bool> ProbeAsync(Socket socket, IPEndPoint target, Protocol protocol, bool echoes, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            if (protocol == Protocol.Tcp)
            {
                await socket.ConnectAsync(target, timeout.Token);
                return echoes ? await EchoesAsync(socket, 1, limit) : await AnswersHttpAsync(socket, timeout.Token);
            }
            socket.Connect(target); // UDP: only sets the destination
            byte[] datagram = [2];
            byte[] reply = new byte[16];
            Task<int> receive = socket.ReceiveAsync(reply, SocketFlags.None, timeout.Token).AsTask();
            while (!receive.IsCompleted)
            {
                _ = await socket.SendAsync(datagram, SocketFlags.None, timeout.Token);
                _ = await Task.WhenAny(receive, Task.Delay(s_udpResend, timeout.Token));
            }
            return await receive == 1 && reply[0] == 2;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return false;
        }
    }
}

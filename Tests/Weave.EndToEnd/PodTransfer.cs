using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Weave.Lab;
using Weave.Linux;

namespace Weave.EndToEnd;

/// <summary>A TCP transfer between two pods, checked by length and SHA-256.</summary>
internal static class PodTransfer
{
    /// <summary>
    /// <paramref name="length"/> random bytes with <paramref name="marker"/> at the start of every
    /// 4 KiB: a transfer whose bytes a capture can look for (found in clear, or not when sealed).
    /// </summary>
    public static byte[] MarkedData(int length, byte[] marker)
    {
        ArgumentNullException.ThrowIfNull(marker);
        byte[] data = RandomNumberGenerator.GetBytes(length);
        for (int at = 0; at + marker.Length <= data.Length; at += 4096)
        {
            marker.CopyTo(data, at);
        }
        return data;
    }

    /// <summary>
    /// Sends <paramref name="data"/> from <paramref name="client"/> to <paramref name="server"/>
    /// (listening on <paramref name="port"/>) and returns how many bytes arrived and the SHA-256 of
    /// what arrived, as hex. The sockets are opened inside the pods' namespaces and keep them; the
    /// I/O runs from here.
    /// </summary>
    public static async Task<(long Received, string Sha256)> TcpAsync(LabPod server, LabPod client, byte[] data, int port, TimeSpan within)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(client);
        (long received, string hash, _) = await TcpAsync(server.Namespace, server.Address, client.Namespace, data, port, within);
        return (received, hash);
    }

    /// <summary>
    /// As above, between any two namespaces (pods the CNI plugin made, say); also returns the
    /// address the server saw the client connect from, which a NAT on the way would change.
    /// </summary>
    public static async Task<(long Received, string Sha256, IPAddress ClientSeenAs)> TcpAsync(string serverNamespace, IPAddress serverAddress, string clientNamespace,
        byte[] data, int port, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        using Socket listener = NetNs.Run(serverNamespace, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(serverAddress, port));
            socket.Listen(1);
            return socket;
        });
        using Socket sender = NetNs.Run(clientNamespace, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        Task<Socket> accepting = listener.AcceptAsync(timeout.Token).AsTask();
        await sender.ConnectAsync(new IPEndPoint(serverAddress, port), timeout.Token);
        using Socket receiver = await accepting;

        Task sending = SendAllAsync(sender, data, timeout.Token);
        (long received, byte[] hash) = await ReceiveAndHashAsync(receiver, timeout.Token);
        await sending;
        return (received, Convert.ToHexString(hash), ((IPEndPoint)receiver.RemoteEndPoint!).Address);
    }

    private static async Task SendAllAsync(Socket socket, byte[] data, CancellationToken cancellationToken)
    {
        const int chunk = 64 * 1024;
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            ReadOnlyMemory<byte> slice = data.AsMemory(offset, Math.Min(chunk, data.Length - offset));
            while (!slice.IsEmpty)
            {
                int sent = await socket.SendAsync(slice, SocketFlags.None, cancellationToken);
                slice = slice[sent..];
            }
        }
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task<(long Received, byte[] Hash)> ReceiveAndHashAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[64 * 1024];
        long received = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return (received, hash.GetHashAndReset());
            }
            hash.AppendData(buffer, 0, n);
            received += n;
        }
    }
}

using System.IO.Pipelines;
using System.Net.Sockets;
using Weave.Gossip.Protocol;

namespace Weave.Router.Mesh;

/// <summary>
/// Turns a fresh TCP socket (dialled or accepted) into a <see cref="PeerConnection"/>: handshake,
/// then the identity checks that make a connection pointless or dangerous.
/// </summary>
public sealed class ConnectionSetup
{
    private readonly LocalPeer _local;
    private readonly TimeProvider _time;
    private readonly Random _random;

    public ConnectionSetup(LocalPeer local, TimeProvider time, Random random)
    {
        _local = local;
        _time = time;
        _random = random;
    }

    /// <summary>Software name and version sent in the intro, for diagnostics.</summary>
    public static string Software => "weave-cs " + (typeof(ConnectionSetup).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <exception cref="ProtocolException">The peer failed the handshake or the checks; the connection is closed.</exception>
    /// <exception cref="FatalTargetException">Connecting again would fail the same way (ourselves, a name collision).</exception>
    public async Task<PeerConnection> RunAsync(Socket socket, bool outbound, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: false);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        ulong connectionId = NextConnectionId();
        var intro = new PeerIntro(_local.Name, _local.NickName, _local.Uid, connectionId, _local.DataPort, Software);
        try
        {
            HandshakeResult result = await Handshake.RunAsync(stream, reader, ProtocolHeader.Ours, intro,
                WireFormat.HandshakeTimeout, _time, ct).ConfigureAwait(false);
            if (result.Remote.Name == _local.Name)
            {
                throw result.Remote.Uid == _local.Uid
                    ? new FatalTargetException("cannot connect to ourself")
                    : new FatalTargetException($"peer name collision: {_local.Name} is also the name of the peer at {socket.RemoteEndPoint} (nickname {result.Remote.NickName}); give each router its own --name");
            }
            return new PeerConnection(socket, stream, reader, result, connectionId, outbound, _time);
        }
        catch
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            socket.Dispose();
            throw;
        }
    }

    private ulong NextConnectionId()
    {
        lock (_random)
        {
            return (ulong)_random.NextInt64() ^ ((ulong)_random.Next() << 63);
        }
    }
}

/// <summary>A target that must not be retried: it is ourselves, or its name collides with ours.</summary>
public sealed class FatalTargetException : Exception
{
    public FatalTargetException(string message) : base(message)
    {
    }

    public FatalTargetException()
    {
    }

    public FatalTargetException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

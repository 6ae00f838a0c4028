using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Weave.Gossip;
using Weave.Gossip.Protocol;

namespace Weave.Router.Mesh;

/// <summary>
/// Turns a fresh TCP socket (dialled or accepted) into a <see cref="TcpMeshConnection"/> by
/// running the handshake. Whether the mesh wants the connection (ourselves, a name collision, a
/// duplicate, the limit) is the mesh node's decision, made next. Our intro says whether we trust
/// the peer's address (<see cref="SubnetTrust"/>), which with the peer's word decides whether the
/// data between us is sealed.
/// </summary>
public sealed class ConnectionSetup
{
    private readonly PeerIdentity _self;
    private readonly int _dataPort;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ControlSecurity? _security;
    private readonly SubnetTrust _trust;
    private readonly bool _takesChunks;
    private readonly bool _fastDp;

    /// <param name="security">The password and ciphers of a router with <c>--password</c>; null without one.</param>
    /// <param name="trust"><c>--trusted-subnets</c>; none when null.</param>
    /// <param name="takesChunks">Our data plane puts chunked super-frames together (<see cref="PeerIntro.TakesChunks"/>).</param>
    /// <param name="fastDp">The kernel holds our data port (<see cref="PeerIntro.FastDp"/>).</param>
    public ConnectionSetup(PeerIdentity self, int dataPort, TimeProvider time, Random random, ControlSecurity? security = null,
        SubnetTrust? trust = null, bool takesChunks = false, bool fastDp = false)
    {
        _takesChunks = takesChunks;
        _fastDp = fastDp;
        _self = self;
        _dataPort = dataPort;
        _time = time;
        _random = random;
        _security = security;
        _trust = trust ?? SubnetTrust.None;
    }

    /// <summary>Software name and version sent in the intro, for diagnostics.</summary>
    public static string Software => "weave-cs " + (typeof(ConnectionSetup).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <param name="remoteAddress">For an outbound connection the address we dialled, else the peer's source address.</param>
    /// <exception cref="ProtocolException">The peer failed the handshake; the socket is closed.</exception>
    public async Task<TcpMeshConnection> RunAsync(Socket socket, bool outbound, string remoteAddress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.NoDelay = true;
        var stream = new NetworkStream(socket, ownsSocket: false);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        ulong connectionId = NextConnectionId();
        // The TCP peer's address, dialled or accepted, as Weave judged it.
        bool trusted = socket.RemoteEndPoint is IPEndPoint remote && _trust.Trusts(remote.Address);
        var intro = new PeerIntro(_self.Name, _self.NickName, _self.Uid, connectionId, _dataPort, Software) {
            Trusted = trusted,
            TakesChunks = _takesChunks,
            FastDp = _fastDp,
            Cluster = _self.Cluster,
        };
        try
        {
            HandshakeResult result = await Handshake.RunAsync(stream, reader, ProtocolHeader.Ours, intro,
                WireFormat.HandshakeTimeout, _time, ct, _security, outbound).ConfigureAwait(false);
            return new TcpMeshConnection(socket, stream, reader, result, connectionId, outbound, remoteAddress, _time);
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

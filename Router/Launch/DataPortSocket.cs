using Weave.Linux;

namespace Weave.Router.Launch;

/// <summary>
/// The router's own VXLAN socket, which may change once while it starts: the data port itself,
/// claimed before any link is touched; or, once the kernel's VXLAN device takes the data port (the
/// fast path), a socket on an ephemeral loopback port that nothing sends to, idle as the data port
/// is with a password, since then everything the router sends goes by sleeve. Back to the data
/// port when the fast path cannot start after all.
/// </summary>
public sealed class DataPortSocket(UdpBatchSocket socket) : IDisposable
{
    public UdpBatchSocket Socket { get; private set; } = socket;

    /// <summary>Closes the socket held now and holds <paramref name="next"/> instead.</summary>
    public void Replace(UdpBatchSocket next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Socket.Dispose();
        Socket = next;
    }

    public static UdpBatchSocket OpenIdle() => UdpBatchSocket.Open(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));

    public void Dispose() => Socket.Dispose();
}

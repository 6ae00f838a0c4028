using System.Net;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Router.Mesh;

namespace Weave.Router.Launch;

/// <summary>Validates <c>weave launch</c>'s raw flag values into <see cref="RouterOptions"/>.</summary>
public static class LaunchOptions
{
    /// <exception cref="LaunchException">A value is invalid; the message names it.</exception>
    public static RouterOptions From(string? name, string? nickname, int port, string? host, int mtu, string? httpAddr, string[] peers)
    {
        ArgumentNullException.ThrowIfNull(peers);
        PeerName peerName;
        if (name is null)
        {
            peerName = PeerName.Random(new Random());
        }
        else if (!PeerName.TryParse(name, out peerName))
        {
            throw new LaunchException($"invalid --name '{name}': expected six hex octets like 5e:1a:00:00:00:01");
        }
        if (port is < 1 or > 65534)
        {
            throw new LaunchException($"invalid --port {port}: expected 1 to 65534 (UDP uses port+1)");
        }
        if (mtu is < 576 or > 65535)
        {
            throw new LaunchException($"invalid --mtu {mtu}: expected 576 to 65535");
        }
        IPAddress listen = IPAddress.Any;
        if (host is not null && (!IPAddress.TryParse(host, out listen!) || listen.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork))
        {
            throw new LaunchException($"invalid --host '{host}': expected an IPv4 address");
        }
        IPEndPoint http = RouterOptions.DefaultHttpEndPoint;
        if (httpAddr is not null && (!IPEndPoint.TryParse(httpAddr, out http!) || http.Port == 0))
        {
            throw new LaunchException($"invalid --http-addr '{httpAddr}': expected ip:port");
        }
        var targets = new List<PeerAddress>();
        foreach (string peer in peers)
        {
            if (peer.StartsWith('-'))
            {
                throw new LaunchException($"unknown flag '{peer}' (see `weave launch --help`)");
            }
            if (!PeerAddress.TryParse(peer, port, out PeerAddress? address, out string error))
            {
                throw new LaunchException(error);
            }
            targets.Add(address);
        }
        string nick = string.IsNullOrWhiteSpace(nickname) ? Environment.MachineName : nickname;
        if (nick.Length > 255)
        {
            throw new LaunchException("invalid --nickname: longer than 255 characters");
        }
        return new RouterOptions
        {
            Name = peerName,
            NickName = nick,
            Host = listen,
            Port = port,
            Mtu = mtu,
            HttpEndPoint = http,
            Peers = targets,
        };
    }
}

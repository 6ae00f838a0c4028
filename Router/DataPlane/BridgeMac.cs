using System.Security.Cryptography;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The MAC of a router's bridge, derived from its peer name: the bridge setup gives it to our
/// bridge, and the kernel path addresses a peer's bridge with it (<see cref="ProbeFrame"/>) knowing
/// only the peer's name. Why the bridge has a MAC of its own: <c>BridgeSetup.BridgeMac</c>.
/// Locally administered, unicast, and never the peer name itself.
/// </summary>
public static class BridgeMac
{
    public static byte[] Bytes(PeerName peer)
    {
        Span<byte> name = stackalloc byte[PeerName.SizeBytes];
        peer.WriteBytes(name);
        byte[] mac = SHA256.HashData([.. "weave bridge "u8, .. name])[..MacAddress48.SizeBytes];
        mac[0] = (byte)((mac[0] & 0xfe) | 0x02);
        return mac;
    }

    public static ulong Of(PeerName peer) => MacAddress48.Read(Bytes(peer));
}

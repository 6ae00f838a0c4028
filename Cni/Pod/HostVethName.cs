using System.Text;

namespace Weave.Cni.Pod;

/// <summary>
/// The name of a pod's veth on the host: <c>vethwepl</c> (Weave's prefix, so tools that looked for
/// it still do) and 7 hex digits of SHA-256 over the container ID and interface name, 15
/// characters in all. DEL and GC recompute it from the same two values, so they need no state and
/// no namespace. Hashing rather than truncating the ID keeps IDs that share a prefix
/// (<c>pod-001</c>, <c>pod-002</c>) apart; two attachments collide with odds of 1 in 2^28.
/// </summary>
public static class HostVethName
{
    public const string Prefix = "vethwepl";

    public static string For(string containerId, string ifName)
    {
        ArgumentNullException.ThrowIfNull(containerId);
        ArgumentNullException.ThrowIfNull(ifName);
        byte[] hash = Sha256.HashData(Encoding.UTF8.GetBytes(containerId + "\0" + ifName));
        return Prefix + Convert.ToHexStringLower(hash)[..(Weave.Linux.InterfaceName.IFNAMSIZ - 1 - Prefix.Length)];
    }
}

using System.Text;

namespace Weave.Cni.Pod;

/// <summary>
/// The MAC of a pod's interface, chosen by the plugin before the interface exists so it travels with
/// the allocation (<c>weave ps</c> shows it, as Weave's did): 6 bytes of SHA-256 over the container
/// ID and interface name, with the locally-administered bit set and the multicast bit clear, as the
/// kernel's random MACs have. Derived, not random: an ADD repeated for the same attachment gives
/// the same MAC, and there is no randomness to seed. Two attachments collide with odds of 1 in
/// 2^46, as random ones would.
/// </summary>
public static class PodMac
{
    private static readonly byte[] s_salt = "weave-net pod mac v1\n"u8.ToArray();

    public static byte[] For(string containerId, string ifName)
    {
        ArgumentNullException.ThrowIfNull(containerId);
        ArgumentNullException.ThrowIfNull(ifName);
        byte[] input = [.. s_salt, .. Encoding.UTF8.GetBytes(containerId + "\0" + ifName)];
        byte[] mac = Sha256.HashData(input)[..6];
        mac[0] = (byte)((mac[0] & 0xFE) | 0x02);
        return mac;
    }
}

namespace Weave.Linux;

/// <summary>The TUN/TAP driver's ioctl numbers and flags (linux/if_tun.h) and the layout of
/// <c>struct ifreq</c> (linux/if.h) as used by TUNSETIFF. Checked against the C headers by
/// NativeLayoutTests.</summary>
public static class TunConstants
{
    public const string DevicePath = "/dev/net/tun";

    /// <summary>_IOW('T', 202, int).</summary>
    public const uint TUNSETIFF = 0x400454ca;

    /// <summary>_IOW('T', 203, int).</summary>
    public const uint TUNSETPERSIST = 0x400454cb;

    public const short IFF_TUN = 0x0001;
    public const short IFF_TAP = 0x0002;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_VNET_HDR = 0x4000;

    /// <summary>sizeof(struct ifreq) on 64-bit Linux: a 16-byte name and a 24-byte union.</summary>
    public const int IfReqSize = 40;

    /// <summary>offsetof(struct ifreq, ifr_flags): the union starts right after the name.</summary>
    public const int IfReqFlagsOffset = InterfaceName.IFNAMSIZ;
}

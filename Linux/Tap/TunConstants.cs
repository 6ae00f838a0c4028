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

    /// <summary>_IOW('T', 208, unsigned int): the offload flags are passed by value, not by pointer.</summary>
    public const uint TUNSETOFFLOAD = 0x400454d0;

    /// <summary>_IOR('T', 215, int).</summary>
    public const uint TUNGETVNETHDRSZ = 0x800454d7;

    /// <summary>_IOW('T', 216, int): the size of the virtio_net_hdr before every frame.</summary>
    public const uint TUNSETVNETHDRSZ = 0x400454d8;

    public const int TUN_F_CSUM = 0x01;
    public const int TUN_F_TSO4 = 0x02;
    public const int TUN_F_TSO6 = 0x04;
    public const int TUN_F_TSO_ECN = 0x08;
    public const int TUN_F_UFO = 0x10;
    public const int TUN_F_USO4 = 0x20;
    public const int TUN_F_USO6 = 0x40;

    public const short IFF_TUN = 0x0001;
    public const short IFF_TAP = 0x0002;
    public const short IFF_NO_PI = 0x1000;
    public const short IFF_VNET_HDR = 0x4000;

    /// <summary>sizeof(struct ifreq) on 64-bit Linux: a 16-byte name and a 24-byte union.</summary>
    public const int IfReqSize = 40;

    /// <summary>offsetof(struct ifreq, ifr_flags): the union starts right after the name.</summary>
    public const int IfReqFlagsOffset = InterfaceName.IFNAMSIZ;
}

namespace Weave.Linux;

/// <summary>
/// What a TAP opened with a virtio_net_hdr lets the kernel hand over unfinished (TUNSETOFFLOAD,
/// the TUN_F_* bits of linux/if_tun.h). <see cref="Checksum"/> lets frames arrive with a partial
/// checksum (<see cref="VirtioNetHeader.FlagNeedsChecksum"/>); the segmentation bits let TCP (or
/// UDP) super-frames of up to 64 KB arrive with a GSO type and size. The kernel requires
/// <see cref="Checksum"/> for any segmentation offload.
/// </summary>
[Flags]
public enum TapOffloads
{
    None = 0,
    Checksum = TunConstants.TUN_F_CSUM,
    TcpV4Segmentation = TunConstants.TUN_F_TSO4,
    TcpV6Segmentation = TunConstants.TUN_F_TSO6,
    TcpEcnSegmentation = TunConstants.TUN_F_TSO_ECN,
    UdpV4Segmentation = TunConstants.TUN_F_USO4,
    UdpV6Segmentation = TunConstants.TUN_F_USO6,

    /// <summary>Partial checksums and TCP super-frames over IPv4 and IPv6: the fast path's set.</summary>
    Tcp = Checksum | TcpV4Segmentation | TcpV6Segmentation,
}

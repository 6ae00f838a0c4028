using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The overlay MTU (of the bridge <c>weave</c> and the pods' veths) and what encapsulation costs:
/// the one place that knows how many bytes of an underlay MTU our headers take.
/// <code>
///   underlay IP packet:  outer IPv4 (20) | UDP (8) | VXLAN (8) or sleeve (14) | inner Ethernet (14) | overlay IP packet
/// </code>
/// The overlay MTU is the underlay's less the largest overhead a frame may meet (the sleeve's, so
/// a peer can move from VXLAN to sleeve without the MTU changing): 1500 → 1444, 9000 → 8944.
/// With a password the data is sealed (SleeveHeader, docs/encryption.md), which costs
/// <see cref="SealingBytes"/> more: 1500 → 1420, 9000 → 8920.
/// </summary>
public static class OverlayMtu
{
    /// <summary>The outer IPv4 header without options (an IPv6 underlay would need 20 more).</summary>
    public const int OuterIPv4HeaderBytes = 20;

    public const int UdpHeaderBytes = 8;

    /// <summary>The sleeve header as the sleeve issue defines it: magic (1), kind (1), source
    /// peer (6), destination peer (6).</summary>
    public const int SleeveHeaderBytes = 14;

    /// <summary>The larger of the VXLAN and sleeve headers.</summary>
    public const int EncapsulationHeaderBytes = SleeveHeaderBytes > VxlanHeader.SizeBytes ? SleeveHeaderBytes : VxlanHeader.SizeBytes;

    /// <summary>What sealing adds per datagram: the key epoch and counter (8) and the AEAD tag (16).</summary>
    public const int SealingBytes = Weave.Crypto.RecordFormat.DatagramOverheadBytes;

    public const int InnerEthernetHeaderBytes = 14;

    /// <summary>What an underlay MTU loses to encapsulation without sealing: 56 bytes.</summary>
    public const int OverheadBytes = OuterIPv4HeaderBytes + UdpHeaderBytes + EncapsulationHeaderBytes + InnerEthernetHeaderBytes;

    /// <summary>...and with sealing (a password): 80 bytes.</summary>
    public const int SealedOverheadBytes = OverheadBytes + SealingBytes;

    public static int Overhead(bool sealedData) => sealedData ? SealedOverheadBytes : OverheadBytes;

    /// <summary>The smallest MTU every IPv4 host must accept (RFC 791). IPv6 pods need 1280.</summary>
    public const int Min = 576;

    /// <summary>The largest overlay MTU whose frames still fit one UDP datagram (65,507 bytes of
    /// IPv4 payload) behind our largest header, sealed; also the MTU of the router's TAP device.</summary>
    public const int Max = UdpBatch.MaxIPv4Payload - EncapsulationHeaderBytes - SealingBytes - InnerEthernetHeaderBytes;

    /// <summary>The Weave Net default for an underlay of unknown MTU: what 1500 leaves.</summary>
    public const int AssumedUnderlayMtu = 1500;

    /// <summary>The overlay MTU for an underlay link of <paramref name="underlayMtu"/>, at most <see cref="Max"/>
    /// (a loopback underlay of 65,536 would exceed what one datagram carries).</summary>
    public static int FromUnderlay(int underlayMtu, bool sealedData = false) => Math.Min(underlayMtu - Overhead(sealedData), Max);
}

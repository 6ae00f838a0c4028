using System.Runtime.CompilerServices;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The TAP thread's check of frames against the overlay MTU. The router's TAP has a larger MTU
/// than the bridge (<see cref="OverlayMtu.Max"/>), so the bridge hands over every frame a pod sends,
/// however large: one that must not be fragmented and exceeds the overlay MTU is dropped here and
/// answered with ICMP (<see cref="TooBigReply"/>), which is what lets the pod's path MTU discovery
/// work through the overlay. The answer is written to the TAP from the TAP thread while the UDP
/// thread writes too: <see cref="ITapDevice.Write"/> must allow that (LinuxTapDevice does: one
/// write(2) per frame with nothing shared).
/// </summary>
public sealed partial class Forwarder
{
    private readonly int _mtu = OverlayMtu.Max;

    // Owned by the TAP thread: where an answer is built and the one-slot batch that writes it.
    private readonly byte[] _tooBigReply = GC.AllocateUninitializedArray<byte>(TooBigReply.MaxFrameBytes, pinned: true);
    private readonly PacketBatch _tooBigWrite = new(1, allocateBuffers: false);

    /// <summary>The overlay MTU frames from the bridge are held to (the bridge's MTU); without it, only
    /// what one datagram cannot carry is too big.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside <see cref="OverlayMtu.Min"/> to <see cref="OverlayMtu.Max"/>.</exception>
    public int Mtu
    {
        get => _mtu;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, OverlayMtu.Min);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, OverlayMtu.Max);
            _mtu = value;
        }
    }

    /// <summary>True when the frame was too big for the overlay and is dropped (answered with ICMP
    /// when that is allowed). Plain frames within the MTU cost one comparison.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool DroppedAsTooBig(ReadOnlySpan<byte> frame) =>
        frame.Length > _mtu + EthernetFrame.HeaderSizeBytes && DropIfTooBig(frame, OversizeFrame.Classify(frame, default, _mtu));

    /// <summary>The same for a super-frame its caller has parsed once (the layout then cuts it).</summary>
    private bool DroppedAsTooBig(ReadOnlySpan<byte> frame, in TcpSuperFrame layout) =>
        DropIfTooBig(frame, OversizeFrame.ClassifySuperFrame(frame, layout, _mtu));

    private bool DropIfTooBig(ReadOnlySpan<byte> frame, OversizeVerdict verdict)
    {
        switch (verdict)
        {
            case OversizeVerdict.TooBig:
                Counters.DropsTooBig++;
                if (TooBigReply.TryWrite(frame, _mtu, _tooBigReply, out int length))
                {
                    _tooBigWrite.Set(0, _tooBigReply, 0, length);
                    _tooBigWrite.Count = 1;
                    Counters.TooBigReplies += _tap.Write(_tooBigWrite);
                }
                return true;
            case OversizeVerdict.Undeliverable:
                Counters.DropsTooBig++;
                return true;
            default:
                return false;
        }
    }
}

using System.Runtime.CompilerServices;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// The TAP thread's check of frames against the overlay MTU. The router's TAP has a larger MTU
/// than the bridge (<see cref="OverlayMtu.Max"/>), so the bridge hands over every frame a pod sends,
/// however large: one that must not be fragmented and exceeds the overlay MTU is dropped here and
/// answered with ICMP (<see cref="TooBigReply"/>), which is what lets the pod's path MTU discovery
/// work through the overlay. The answer is written to the TAP from the TAP thread while the socket
/// threads write too: <see cref="ITapDevice.Write"/> must allow that (TapDevice does: one
/// write(2) per frame with nothing shared). Owned by the TAP thread.
/// </summary>
internal sealed class TooBigCheck(ITapDevice tap, ForwarderCounters counters)
{
    // Where an answer is built, and the one-slot batch that writes it.
    private readonly byte[] _reply = GC.AllocateUninitializedArray<byte>(TooBigReply.MaxFrameBytes, pinned: true);
    private readonly PacketBatch _write = new(1, allocateBuffers: false);

    /// <summary>True when the frame was too big for an overlay of <paramref name="mtu"/> and is
    /// dropped (answered with ICMP when that is allowed). Frames within the MTU cost one comparison.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Dropped(ReadOnlySpan<byte> frame, int mtu) =>
        frame.Length > mtu + EthernetFrame.HeaderSizeBytes && DropIfTooBig(frame, OversizeFrame.Classify(frame, default, mtu), mtu);

    /// <summary>The same for a super-frame its caller has parsed once (the layout then cuts it).</summary>
    public bool Dropped(ReadOnlySpan<byte> frame, in TcpSuperFrame layout, int mtu) =>
        DropIfTooBig(frame, OversizeFrame.ClassifySuperFrame(frame, layout, mtu), mtu);

    private bool DropIfTooBig(ReadOnlySpan<byte> frame, OversizeVerdict verdict, int mtu)
    {
        switch (verdict)
        {
            case OversizeVerdict.TooBig:
                counters.DropsTooBig++;
                if (TooBigReply.TryWrite(frame, mtu, _reply, out int length))
                {
                    _write.Set(0, _reply, 0, length);
                    _write.Count = 1;
                    counters.TooBigReplies += tap.Write(_write);
                }
                return true;
            case OversizeVerdict.Undeliverable:
                counters.DropsTooBig++;
                return true;
            default:
                return false;
        }
    }
}

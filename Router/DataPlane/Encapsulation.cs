using Weave.Crypto;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// How frames are wrapped for the wire to one neighbour: VXLAN on the VXLAN socket, or our sleeve
/// header on the sleeve socket, in clear or sealed with the neighbour's keys. One object per kind;
/// the <see cref="ForwardingPlan"/> picks one for each route and each hop of our flood, and the TAP
/// thread asks it for the header's size, writes the header through it, seals through it and sends
/// to the socket and address it names, so another way of carrying frames is one more kind.
/// </summary>
public abstract class Encapsulation
{
    /// <summary>RFC 7348 VXLAN straight to the peer that owns the frame: it cannot say who
    /// captured a frame or whom it is for, so it is never relayed.</summary>
    public static Encapsulation Vxlan { get; } = new VxlanEncapsulation();

    /// <summary>Our sleeve header in clear (<see cref="SleeveHeader"/>): for frames relayed
    /// through a neighbour, and floods it passes on.</summary>
    public static Encapsulation Sleeve { get; } = new SleeveEncapsulation(isSealed: false);

    /// <summary>The sleeve header with the rest sealed by the neighbour's data keys (a password):
    /// everything to such a neighbour goes this way.</summary>
    public static Encapsulation SealedSleeve { get; } = new SleeveEncapsulation(isSealed: true);

    /// <summary>The path's name in `weave report`: "vxlan" or "sleeve".</summary>
    public abstract string Name { get; }

    /// <summary>Sent on the sleeve socket (the mesh port) rather than the VXLAN socket.</summary>
    public abstract bool OnSleeveSocket { get; }

    /// <summary>The header names the neighbour it goes to, so a flood needs a copy per neighbour;
    /// otherwise one header in front of the frame serves every neighbour of this kind.</summary>
    public abstract bool NamesHop { get; }

    /// <summary>Bytes in front of the frame: the header, and the epoch and counter when sealed.</summary>
    public abstract int HeaderBytes { get; }

    /// <summary>Bytes behind the frame: the AEAD tag when sealed.</summary>
    public virtual int TailBytes => 0;

    /// <summary>The address of <paramref name="hop"/> that this kind is sent to.</summary>
    public abstract UdpEndpoint EndpointOf(DataPeer hop);

    /// <summary>Writes the header at the start of <paramref name="destination"/>: a frame of
    /// <paramref name="kind"/> captured by <paramref name="source"/>, for <paramref name="target"/>
    /// (a sleeve header names both; VXLAN carries only <paramref name="vni"/>).</summary>
    public abstract void WriteHeader(Span<byte> destination, SleeveKind kind, PeerName source, PeerName target, int vni);

    /// <summary>Seals <paramref name="payloads"/> of <paramref name="buffer"/> (each behind a header
    /// and in front of room for its tag) for <paramref name="hop"/>, with <paramref name="header"/>
    /// as associated data; nothing to do in clear. False only when the keys are used up.</summary>
    public virtual bool TrySeal(DataPeer hop, byte[] buffer, Span<DatagramSlice> payloads, ReadOnlySpan<byte> header) => true;

    public override string ToString() => Name;
}

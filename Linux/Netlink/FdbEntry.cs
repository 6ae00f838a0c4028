using System.Net;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>
/// One forwarding-database entry (an AF_BRIDGE neighbour), as <c>bridge fdb</c> shows it: a MAC
/// on a device. A VXLAN device's own entry (NTF_SELF) says which remote endpoint frames to that MAC
/// go to; its entries for the all-zero MAC list every endpoint it floods to, one entry each. A
/// bridge's entry (NTF_MASTER, on a port) says the bridge sends frames for that MAC out of that port.
/// </summary>
/// <param name="Index">The device (ifindex): a VXLAN device, or a port of a bridge.</param>
/// <param name="Mac">The MAC (<see cref="MacAddress48"/>); 0 is a VXLAN device's flood entry.</param>
/// <param name="Destination">NDA_DST: the remote endpoint of a VXLAN entry; null for a bridge's entry.</param>
/// <param name="State">ndm_state: NUD_PERMANENT or NUD_NOARP for entries that were added and do
/// not age (to a bridge, NUD_PERMANENT means a MAC of its own, delivered locally); others were learned.</param>
/// <param name="Flags">ndm_flags: NTF_SELF, NTF_MASTER, NTF_STICKY.</param>
/// <param name="MasterIndex">NDA_MASTER as reported: the bridge of a bridge's entry, else 0.</param>
public readonly record struct FdbEntry(int Index, ulong Mac, IPAddress? Destination, ushort State, byte Flags, int MasterIndex = 0)
{
    /// <summary>A VXLAN device's entry sending frames for <paramref name="mac"/> (0: floods) to
    /// <paramref name="destination"/>, as <c>bridge fdb append MAC dev VXLAN dst IP</c> adds it.</summary>
    public static FdbEntry VxlanRemote(int vxlanIndex, ulong mac, IPAddress destination) =>
        new(vxlanIndex, mac, destination, NUD_PERMANENT, NTF_SELF);

    /// <summary>A bridge's static entry sending frames for <paramref name="mac"/> out of
    /// <paramref name="portIndex"/>, sticky so that the same MAC seen on another port does not move
    /// it (<c>bridge fdb replace MAC dev PORT master static sticky</c>).</summary>
    public static FdbEntry BridgePin(int portIndex, ulong mac) =>
        new(portIndex, mac, null, NUD_NOARP, NTF_MASTER | NTF_STICKY);

    /// <summary>The bridge's entry, not the device's own: NTF_MASTER when we add it; a dump marks
    /// it with NDA_MASTER instead.</summary>
    public bool InBridge => (Flags & NTF_MASTER) != 0 || MasterIndex != 0;

    /// <summary>Added rather than learned: it does not age.</summary>
    public bool IsStatic => (State & (NUD_PERMANENT | NUD_NOARP)) != 0;
}

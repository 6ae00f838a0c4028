using System.Buffers.Binary;
using System.Net.Sockets;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>Kernel VXLAN devices (RTM_NEWLINK kind "vxlan"), as <c>ip link add NAME type vxlan</c> makes them.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>Creates the VXLAN device <paramref name="name"/> (down, learning off, its flood list
    /// empty: see <see cref="AddFdb"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The VNI or port is out of range.</exception>
    /// <exception cref="LinuxError">With Errno EEXIST when a link of that name exists, or when
    /// another VXLAN device has that VNI and port; EADDRINUSE when the port is taken (the kernel
    /// opens its socket when the device goes up).</exception>
    public void CreateVxlan(string name, VxlanSettings settings, int mtu = 0)
    {
        InterfaceName.Validate(name, nameof(name));
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        lock (_gate)
        {
            uint sequence = NextSequence();
            Execute(EncodeVxlan(_request, sequence, name, settings, mtu), sequence,
                $"create vxlan {name} (vni {settings.Vni}, port {settings.Port})");
        }
    }

    /// <summary>
    /// The RTM_NEWLINK request of <see cref="CreateVxlan"/>. The source port range is
    /// [port, port + 1): the kernel picks the source port by flow hash within a range, and treats an
    /// empty range (low = high) as "the whole ephemeral range", so this is the only way to pin it.
    /// </summary>
    internal static ReadOnlySpan<byte> EncodeVxlan(Span<byte> buffer, uint sequence, string name, in VxlanSettings settings, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Vni, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settings.Vni, VxlanSettings.MaxVni, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(settings.Port, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settings.Port, ushort.MaxValue - 1, nameof(settings));
        var message = BeginNewLink(buffer, sequence, name, mtu, "vxlan", out int linkInfo);
        int data = message.BeginNested(IFLA_INFO_DATA);
        message.AddUInt32(IFLA_VXLAN_ID, (uint)settings.Vni);
        if (settings.Local is { } local)
        {
            message.AddIPAddress(local.AddressFamily == AddressFamily.InterNetwork ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, local);
        }
        message.AddByte(IFLA_VXLAN_LEARNING, 0);
        Span<byte> ports = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16BigEndian(ports, (ushort)settings.Port);
        BinaryPrimitives.WriteUInt16BigEndian(ports[2..], (ushort)(settings.Port + 1));
        message.AddAttribute(IFLA_VXLAN_PORT_RANGE, ports);
        message.AddAttribute(IFLA_VXLAN_PORT, ports[..2]);
        message.EndNested(data);
        message.EndNested(linkInfo);
        return message.Finish();
    }
}

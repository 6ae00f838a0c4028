using Tmds.Linux;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>Forwarding-database entries of bridges and VXLAN devices (AF_BRIDGE RTM_*NEIGH), as
/// <c>bridge fdb add|append|replace|del|show</c> sends them.</summary>
public sealed partial class RouteNetlink : IForwardingDatabase
{
    private static readonly ReplyCollector<FdbEntry> s_collectFdb = static (payload, entries) =>
    {
        if (!NetlinkParser.TryParseFdb(payload, out FdbEntry? entry))
        {
            return false;
        }
        if (entry is { } found)
        {
            entries.Add(found);
        }
        return true;
    };

    /// <summary>
    /// Adds <paramref name="entry"/>. With <paramref name="append"/> (NLM_F_APPEND) a VXLAN entry
    /// joins the endpoints its MAC already has, which is how the all-zero MAC gets one per flood
    /// destination; otherwise (NLM_F_REPLACE) it replaces the MAC's entry, or creates it.
    /// </summary>
    /// <exception cref="LinuxError">The kernel refused (ENODEV: no such device; EINVAL: say a
    /// destination on a device that is not VXLAN, or a bridge entry on a link with no bridge).</exception>
    public void AddFdb(FdbEntry entry, bool append)
    {
        ValidateFdb(entry);
        lock (_gate)
        {
            uint sequence = NextSequence();
            Execute(EncodeFdb(_request, sequence, RTM_NEWNEIGH, entry, append), sequence,
                $"{(append ? "append" : "replace")} fdb {Describe(entry)}");
        }
    }

    /// <summary>Deletes <paramref name="entry"/>: on a VXLAN device only the endpoint it names, when
    /// it names one. False when the MAC had no entry (ENOENT). True also for an endpoint that the
    /// MAC's VXLAN entry did not have: the kernel answers success for it.</summary>
    public bool DeleteFdb(FdbEntry entry)
    {
        ValidateFdb(entry);
        lock (_gate)
        {
            uint sequence = NextSequence();
            return ExecuteUnlessErrno(EncodeFdb(_request, sequence, RTM_DELNEIGH, entry, append: false), sequence, LibC.ENOENT,
                "delete fdb " + Describe(entry));
        }
    }

    /// <summary>Every forwarding-database entry in the namespace (an AF_BRIDGE RTM_GETNEIGH dump,
    /// retried if the kernel flags it interrupted): learned and added, of every bridge and VXLAN
    /// device. Filter by <see cref="FdbEntry.Index"/>.</summary>
    public IReadOnlyList<FdbEntry> ListFdb()
    {
        lock (_gate)
        {
            return DumpConsistent(RTM_GETNEIGH, RTM_NEWNEIGH, s_collectFdb, "list fdb",
                static (ref NetlinkMessage message) => message.WriteNdMsg(AF_BRIDGE, index: 0, state: 0, flags: 0));
        }
    }

    /// <summary>The RTM_NEWNEIGH or RTM_DELNEIGH request for <paramref name="entry"/>: an AF_BRIDGE
    /// ndmsg with its device, state and flags, then NDA_LLADDR and, for a VXLAN entry, NDA_DST.</summary>
    internal static ReadOnlySpan<byte> EncodeFdb(Span<byte> buffer, uint sequence, ushort type, in FdbEntry entry, bool append)
    {
        ushort flags = NLM_F_REQUEST | NLM_F_ACK;
        if (type == RTM_NEWNEIGH)
        {
            flags |= (ushort)(NLM_F_CREATE | (append ? NLM_F_APPEND : NLM_F_REPLACE));
        }
        var message = new NetlinkMessage(buffer, type, flags, sequence);
        message.WriteNdMsg(AF_BRIDGE, entry.Index, entry.State, entry.Flags);
        Span<byte> mac = stackalloc byte[MacAddress48.SizeBytes];
        MacAddress48.Write(mac, entry.Mac);
        message.AddAttribute(NDA_LLADDR, mac);
        if (entry.Destination is { } destination)
        {
            message.AddIPAddress(NDA_DST, destination);
        }
        return message.Finish();
    }

    private static void ValidateFdb(in FdbEntry entry)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(entry.Index, nameof(entry));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(entry.Mac, MacAddress48.Max, nameof(entry));
        if ((entry.Flags & (NTF_SELF | NTF_MASTER)) == 0)
        {
            throw new ArgumentException("An fdb entry is the device's own (NTF_SELF) or its bridge's (NTF_MASTER).", nameof(entry));
        }
    }

    private static string Describe(in FdbEntry entry)
    {
        string destination = entry.Destination is null ? "" : " dst " + entry.Destination;
        return $"{MacAddress48.Format(entry.Mac)}{destination} on {Describe(entry.Index)}{(entry.InBridge ? " (bridge)" : "")}";
    }
}

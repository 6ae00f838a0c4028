using System.Net;
using Weave.Linux;
using static Weave.Linux.NetlinkConstants;

namespace Weave.Tests.Router.Fakes;

/// <summary>
/// A forwarding database as the kernel keeps one for a bridge with a VXLAN port, reduced to what
/// the kernel path uses: per MAC one VXLAN entry (replace overwrites its destination) and one bridge
/// entry (on one port; our pins are static and sticky). A dump reports bridge entries with their
/// master, as the kernel does. Every change is logged, and a change can be made to fail.
/// </summary>
internal sealed class ModelForwardingDatabase(int vxlanIndex, int bridgeIndex) : IForwardingDatabase
{
    private readonly Dictionary<ulong, IPAddress> _remotes = [];
    private readonly Dictionary<ulong, (int Port, bool Static)> _bridge = [];

    public List<string> Log { get; } = [];

    /// <summary>When set, changes it returns true for fail as the kernel's refusal would.</summary>
    public Func<FdbEntry, bool>? Refuse { get; set; }

    public IReadOnlyDictionary<ulong, IPAddress> Remotes => _remotes;

    /// <summary>MACs the bridge sends out of the VXLAN port.</summary>
    public IEnumerable<ulong> Pins => _bridge.Where(b => b.Value.Port == vxlanIndex).Select(b => b.Key);

    /// <summary>The bridge learned <paramref name="mac"/> on <paramref name="port"/> (a pod's veth, the TAP).</summary>
    public void Learn(ulong mac, int port) => _bridge[mac] = (port, false);

    public void AddRemote(ulong mac, IPAddress host) => _remotes[mac] = host;

    public void AddFdb(FdbEntry entry, bool append)
    {
        Check(entry);
        if (entry.InBridge)
        {
            _bridge[entry.Mac] = (entry.Index, true);
            Log.Add($"pin {entry.Mac:x}");
        }
        else
        {
            _remotes[entry.Mac] = entry.Destination!;
            Log.Add($"remote {entry.Mac:x} {entry.Destination}");
        }
    }

    public bool DeleteFdb(FdbEntry entry)
    {
        Check(entry);
        if (entry.InBridge)
        {
            Log.Add($"unpin {entry.Mac:x}");
            return _bridge.Remove(entry.Mac);
        }
        Log.Add($"unremote {entry.Mac:x}");
        return _remotes.Remove(entry.Mac);
    }

    public IReadOnlyList<FdbEntry> ListFdb() =>
    [
        .. _remotes.Select(r => FdbEntry.VxlanRemote(vxlanIndex, r.Key, r.Value)),
        .. _bridge.Select(b => new FdbEntry(b.Value.Port, b.Key, null, b.Value.Static ? NUD_NOARP : (ushort)0,
            b.Value.Static ? NTF_STICKY : (byte)0, bridgeIndex)),
    ];

    private void Check(FdbEntry entry)
    {
        if (Refuse?.Invoke(entry) == true)
        {
            throw new LinuxError("fdb", 22);
        }
    }
}

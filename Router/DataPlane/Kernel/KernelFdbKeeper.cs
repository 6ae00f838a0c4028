using System.Net;
using Weave.Linux;

namespace Weave.Router.DataPlane.Kernel;

/// <summary>
/// Keeps the kernel path's forwarding entries as wanted, by comparing with what the kernel has on
/// each pass (never flushing): for each wanted MAC a VXLAN-device entry sending its frames to the
/// host it lives on, and, when pinned, a static sticky bridge entry sending them out of the VXLAN
/// port. Unpinned MACs (nothing on the bridge points there) are the peers' bridge MACs, for probes.
/// <para>
/// A pinned MAC is the only way a pod's frame leaves by the kernel: the VXLAN port floods nothing
/// and learns nothing. So an entry no longer wanted goes only when that is safe to wait for: at
/// once when its host's path was judged bad (<c>withdrawn</c>), else after <see cref="Grace"/>,
/// so that a peer's router restarting (its connection gone, its MACs forgotten, its kernel still
/// carrying frames) cuts nothing. What the kernel already has when we start is adopted the same
/// way: kept for the grace, then dropped unless wanted, so a restart of our router cuts nothing
/// either. Pins go before their device entry, device entries in before their pin.
/// </para>
/// Owned by one thread (the kernel path's).
/// </summary>
/// <param name="tapIndex">The router's TAP: the bridge learns there the MACs of frames the router
/// delivers from peers, which are not our pods'.</param>
public sealed class KernelFdbKeeper(IForwardingDatabase fdb, int vxlanIndex, int bridgeIndex, int tapIndex, long graceTicks)
{
    /// <summary>One wanted MAC: the host its frames go to, and whether the bridge sends there.</summary>
    public readonly record struct Want(ulong Mac, IPAddress Destination, bool Pinned);

    private readonly record struct Kept(IPAddress Destination, bool Pinned, long WantedAt);

    private readonly Dictionary<ulong, Kept> _kept = [];
    private bool _adopted;

    /// <summary>How long an entry stays after it was last wanted, unless withdrawn.</summary>
    public long Grace => graceTicks;

    public long Added { get; private set; }

    public long Deleted { get; private set; }

    public long Failed { get; private set; }

    /// <summary>The kernel's last answer to a refused change, for the log; null when none was refused.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>The MACs the kernel sends out of the VXLAN port after the last pass.</summary>
    public int Pinned { get; private set; }

    /// <summary>The hosts the kept entries send to (what the VXLAN port must admit).</summary>
    public IReadOnlySet<IPAddress> Destinations => _kept.Values.Select(k => k.Destination).ToHashSet();

    /// <summary>
    /// One pass: reads the entries of the VXLAN device and the bridge, and adds, replaces and
    /// deletes until they are <paramref name="wanted"/>, plus what is kept for the grace and not of
    /// a host in <paramref name="withdrawn"/>. A MAC a pod on our bridge uses is never pinned (it
    /// moved here). A refused change is counted and tried again on the next pass.
    /// </summary>
    /// <exception cref="LinuxError">The entries could not be read.</exception>
    public void Apply(IReadOnlyCollection<Want> wanted, IReadOnlySet<IPAddress> withdrawn, long now)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ArgumentNullException.ThrowIfNull(withdrawn);
        var remotes = new Dictionary<ulong, IPAddress>();
        var pins = new HashSet<ulong>();
        var local = new HashSet<ulong>();
        foreach (FdbEntry entry in fdb.ListFdb())
        {
            if (entry.Index == vxlanIndex)
            {
                if (entry.InBridge)
                {
                    pins.Add(entry.Mac);
                }
                else if (entry.Destination is { } destination)
                {
                    remotes[entry.Mac] = destination;
                }
            }
            else if (entry.InBridge && entry.MasterIndex == bridgeIndex && entry.Index != tapIndex)
            {
                local.Add(entry.Mac); // a pod's, or the bridge's own
            }
        }
        if (!_adopted)
        {
            foreach ((ulong mac, IPAddress destination) in remotes)
            {
                _kept[mac] = new Kept(destination, pins.Contains(mac), now);
            }
            _adopted = true;
        }
        var wantedMacs = new HashSet<ulong>();
        foreach (Want want in wanted)
        {
            _kept[want.Mac] = new Kept(want.Destination, want.Pinned && !local.Contains(want.Mac), now);
            wantedMacs.Add(want.Mac);
        }
        foreach ((ulong mac, Kept kept) in _kept.ToArray())
        {
            if (!wantedMacs.Contains(mac) && (withdrawn.Contains(kept.Destination) || now - kept.WantedAt >= graceTicks || local.Contains(mac)))
            {
                _kept.Remove(mac);
            }
        }
        foreach (ulong mac in pins)
        {
            if (!_kept.TryGetValue(mac, out Kept kept) || !kept.Pinned)
            {
                Change(FdbEntry.BridgePin(vxlanIndex, mac), add: false);
            }
        }
        foreach ((ulong mac, IPAddress destination) in remotes)
        {
            if (!_kept.ContainsKey(mac))
            {
                Change(FdbEntry.VxlanRemote(vxlanIndex, mac, destination), add: false);
            }
        }
        int pinned = 0;
        foreach ((ulong mac, Kept kept) in _kept)
        {
            if (!remotes.TryGetValue(mac, out IPAddress? has) || !has.Equals(kept.Destination))
            {
                Change(FdbEntry.VxlanRemote(vxlanIndex, mac, kept.Destination), add: true);
            }
            if (kept.Pinned)
            {
                if (!pins.Contains(mac))
                {
                    Change(FdbEntry.BridgePin(vxlanIndex, mac), add: true);
                }
                pinned++;
            }
        }
        Pinned = pinned;
    }

    private void Change(FdbEntry entry, bool add)
    {
        try
        {
            if (add)
            {
                fdb.AddFdb(entry, append: false);
                Added++;
            }
            else
            {
                fdb.DeleteFdb(entry);
                Deleted++;
            }
        }
        catch (LinuxError e)
        {
            Failed++;
            LastFailure = e.Message;
        }
    }
}

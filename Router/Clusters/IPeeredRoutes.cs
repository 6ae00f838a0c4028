using System.Net;

namespace Weave.Router.Clusters;

/// <summary>
/// The routes onto the bridge <c>weave</c> that send the host's traffic (its own, and pods'
/// through their default gateway, the bridge) for peered clusters' ranges into the overlay:
/// netlink in the router (<c>NetlinkPeeredRoutes</c>), a list in tests. Only routes this seam
/// added are listed and removed; every method throws <see cref="Weave.Linux.LinuxError"/> or
/// <see cref="InvalidOperationException"/> with the reason when the kernel refuses or the bridge
/// does not exist.
/// </summary>
public interface IPeeredRoutes
{
    /// <summary>The bridge's name, for messages.</summary>
    string Bridge { get; }

    /// <summary>The ranges routed onto the bridge by us, from this run or an earlier one.</summary>
    IReadOnlyList<IPNetwork> List();

    /// <summary>Routes <paramref name="range"/> onto the bridge; nothing changes when it is there already.</summary>
    void Add(IPNetwork range);

    /// <summary>Removes our route of <paramref name="range"/>; false when there was none.</summary>
    bool Remove(IPNetwork range);
}

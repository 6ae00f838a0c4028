using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Weave.Router.DataPlane;

namespace Weave.Router.Launch;

/// <summary>
/// The overlay MTU a router runs with and where it came from, for the start-up log: <c>--mtu</c>,
/// else the underlay link's MTU less <see cref="OverlayMtu.OverheadBytes"/> (or, with a password,
/// <see cref="OverlayMtu.SealedOverheadBytes"/>), the link being the one
/// the kernel would use to reach the first target given as an address, else the one holding
/// <c>--host</c>, else the one of the default route; else an assumed 1500-byte underlay
/// (<see cref="Assumed"/>: worth a warning).
/// </summary>
public sealed record OverlayMtuChoice(int Mtu, string Origin, bool Assumed)
{
    /// <exception cref="LaunchException">The underlay's MTU leaves less than <see cref="OverlayMtu.Min"/>.</exception>
    public static OverlayMtuChoice Choose(RouterOptions options, IUnderlayLinks links)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(links);
        if (options.Mtu is int given)
        {
            return new OverlayMtuChoice(given, "--mtu", Assumed: false);
        }
        (UnderlayLink? link, string how) = FindUnderlay(options, links);
        if (link is null)
        {
            int assumed = OverlayMtu.FromUnderlay(OverlayMtu.AssumedUnderlayMtu, options.Encrypted);
            return new OverlayMtuChoice(assumed, string.Create(CultureInfo.InvariantCulture,
                $"no underlay link found (no target given as an address, no --host, no default route): assumed an underlay MTU of {OverlayMtu.AssumedUnderlayMtu} less {OverlayMtu.Overhead(options.Encrypted)} bytes of encapsulation; give --mtu to be sure"),
                Assumed: true);
        }
        int mtu = OverlayMtu.FromUnderlay(link.Mtu, options.Encrypted);
        if (mtu < OverlayMtu.Min)
        {
            throw new LaunchException(string.Create(CultureInfo.InvariantCulture,
                $"the underlay link {link.Name} ({how}) has MTU {link.Mtu}: less {OverlayMtu.Overhead(options.Encrypted)} bytes of encapsulation leaves {mtu}, below {OverlayMtu.Min}; give --mtu"));
        }
        return new OverlayMtuChoice(mtu, string.Create(CultureInfo.InvariantCulture,
            $"{link.Name} ({how}) has MTU {link.Mtu}, less {OverlayMtu.Overhead(options.Encrypted)} bytes of encapsulation"), Assumed: false);
    }

    private static (UnderlayLink? Link, string How) FindUnderlay(RouterOptions options, IUnderlayLinks links)
    {
        // Targets given by name are skipped: resolving them here would hold up the start.
        IPAddress? target = options.Peers
            .Select(peer => IPAddress.TryParse(peer.Host, out IPAddress? address) ? address : null)
            .FirstOrDefault(address => address is not null);
        if (target is not null && links.RouteTo(target) is { } routed)
        {
            return (routed, $"the route to {target}");
        }
        if (!options.Host.Equals(IPAddress.Any) && links.Holding(options.Host) is { } holding)
        {
            return (holding, $"holding --host {options.Host}");
        }
        if (links.DefaultRoute(AddressFamily.InterNetwork) is { } fallback)
        {
            return (fallback, "the default route");
        }
        return (null, "");
    }
}

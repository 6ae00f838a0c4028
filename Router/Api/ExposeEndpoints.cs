using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Weave.Ipam;
using Weave.Linux;

namespace Weave.Router.Api;

/// <summary>
/// <c>weave expose</c> and <c>weave hide</c>: an address of the range on the bridge <c>weave</c>,
/// so the host reaches pods here and on other hosts. The address is allocated to
/// <c>weave:expose</c> before it goes on the bridge and stays allocated while it is there; it is
/// released only when taken off (<c>DELETE /expose</c>), and <c>DELETE /ip/weave:expose</c> is
/// refused meanwhile (<see cref="IpamEndpoints"/>), so it is never given to a pod while the host
/// holds it. Only addresses of the range, with the range's prefix length or a subnet's of it, are
/// accepted: the allocator refuses the rest (a prefix wider than the range would route others'
/// addresses to the bridge).
/// <list type="bullet">
/// <item><c>POST /expose</c>: an address of the default subnet (the one weave:expose has there, else a new one);</item>
/// <item><c>POST /expose/{ip}/{plen}</c>: that address, claimed;</item>
/// <item><c>DELETE /expose/{ip}[/{plen}]</c>: that address off the bridge and released;</item>
/// <item><c>DELETE /expose</c>: every address of weave:expose off the bridge and released.</item>
/// </list>
/// Answers are the addresses as text, one per line.
/// </summary>
internal static class ExposeEndpoints
{
    public static void Map(WebApplication app, IIpamControl ipam, IBridgeAddresses bridge, Func<Func<Task<IResult>>, Task<IResult>> whenReady)
    {
        app.MapPost("/expose", (CancellationToken ct) => whenReady(() =>
            ExposeAsync(ipam, bridge, () => ipam.AllocateAsync(IpamEndpoints.ExposeId, null, null, ct), ct)));

        app.MapPost("/expose/{ip}/{plen}", (string ip, string plen, CancellationToken ct) => whenReady(async () =>
        {
            if (!IpamEndpoints.TryAddress(ip, out IPAddress? address, out string? error) || !IpamEndpoints.TryPrefixLength(plen, out int prefixLength, out error))
            {
                return IpamEndpoints.BadRequest(error);
            }
            return await ExposeAsync(ipam, bridge, () => ipam.ClaimAsync(IpamEndpoints.ExposeId, address!, prefixLength, null, ct), ct).ConfigureAwait(false);
        }));

        app.MapDelete("/expose", (CancellationToken ct) => whenReady(async () =>
            await HideAsync(ipam, bridge, await ipam.LookupAsync(IpamEndpoints.ExposeId, ct).ConfigureAwait(false), null, ct).ConfigureAwait(false)));

        app.MapDelete("/expose/{ip}", (string ip, CancellationToken ct) => whenReady(() => HideOneAsync(ipam, bridge, ip, null, ct)));

        app.MapDelete("/expose/{ip}/{plen}", (string ip, string plen, CancellationToken ct) => whenReady(() => HideOneAsync(ipam, bridge, ip, plen, ct)));
    }

    /// <summary>Takes an address for weave:expose, then puts it on the bridge; when the bridge refuses, an address taken by this call is released again.</summary>
    private static async Task<IResult> ExposeAsync(IIpamControl ipam, IBridgeAddresses bridge, Func<Task<AllocationResult>> take, CancellationToken ct)
    {
        IReadOnlyList<IpamAllocation> before = await ipam.LookupAsync(IpamEndpoints.ExposeId, ct).ConfigureAwait(false);
        AllocationResult taken = await take().ConfigureAwait(false);
        if (!taken.Succeeded || taken.Address is not { } address)
        {
            return IpamEndpoints.Failure(taken.Error, taken.Message);
        }
        if (before.FirstOrDefault(a => a.Address.Equals(address)) is { } held && held.PrefixLength != taken.PrefixLength)
        {
            return IpamEndpoints.Failure(IpamErrorKind.Conflict,
                $"{address} is exposed as {address}/{held.PrefixLength} already: hide it first to expose it as /{taken.PrefixLength}");
        }
        try
        {
            bridge.Add(address, taken.PrefixLength);
        }
        catch (Exception e) when (e is LinuxError or InvalidOperationException)
        {
            if (!before.Any(a => a.Address.Equals(address)))
            {
                await ipam.ReleaseAsync(IpamEndpoints.ExposeId, address, ct).ConfigureAwait(false);
            }
            return Results.Text($"cannot put {address}/{taken.PrefixLength} on bridge {bridge.Name}: {e.Message}\n", statusCode: StatusCodes.Status500InternalServerError);
        }
        return Results.Text($"{address}/{taken.PrefixLength}");
    }

    private static async Task<IResult> HideOneAsync(IIpamControl ipam, IBridgeAddresses bridge, string ip, string? plen, CancellationToken ct)
    {
        if (!IpamEndpoints.TryAddress(ip, out IPAddress? address, out string? error))
        {
            return IpamEndpoints.BadRequest(error);
        }
        int? prefixLength = null;
        if (plen is not null)
        {
            if (!IpamEndpoints.TryPrefixLength(plen, out int given, out error))
            {
                return IpamEndpoints.BadRequest(error);
            }
            prefixLength = given;
        }
        IReadOnlyList<IpamAllocation> exposed = await ipam.LookupAsync(IpamEndpoints.ExposeId, ct).ConfigureAwait(false);
        IpamAllocation? held = exposed.FirstOrDefault(a => a.Address.Equals(address));
        IReadOnlyList<(IPAddress Address, int PrefixLength)> onBridge;
        try
        {
            onBridge = bridge.List();
        }
        catch (Exception e) when (e is LinuxError or InvalidOperationException)
        {
            return Results.Text($"cannot list the addresses of bridge {bridge.Name}: {e.Message}\n", statusCode: StatusCodes.Status500InternalServerError);
        }
        if (held is null && !onBridge.Any(b => b.Address.Equals(address)))
        {
            return IpamEndpoints.Failure(IpamErrorKind.NotFound, $"{address} is not exposed: it is neither on bridge {bridge.Name} nor allocated to {IpamEndpoints.ExposeId}");
        }
        int actual = held?.PrefixLength ?? onBridge.First(b => b.Address.Equals(address)).PrefixLength;
        if (prefixLength is { } p && p != actual)
        {
            return IpamEndpoints.BadRequest($"{address} is exposed as {address}/{actual}, not /{p}");
        }
        // An address on the bridge that weave:expose does not hold (state lost, or put there by
        // hand) is taken off all the same: whoever holds it, it is not the host's.
        IReadOnlyList<IpamAllocation> release = held is null ? [] : [held];
        return await HideAsync(ipam, bridge, release, held is null ? address : null, ct).ConfigureAwait(false);
    }

    /// <summary>Off the bridge first, then released: a failure in between leaves the address allocated and unused, never in use and free.</summary>
    private static async Task<IResult> HideAsync(IIpamControl ipam, IBridgeAddresses bridge, IReadOnlyList<IpamAllocation> exposed, IPAddress? unrecorded, CancellationToken ct)
    {
        var hidden = new StringBuilder();
        if (unrecorded is not null)
        {
            if (TakeOff(bridge, unrecorded) is { } failed)
            {
                return failed;
            }
            hidden.Append(unrecorded).Append('\n');
        }
        foreach (IpamAllocation a in exposed)
        {
            if (TakeOff(bridge, a.Address) is { } failed)
            {
                return failed;
            }
            AllocationResult released = await ipam.ReleaseAsync(IpamEndpoints.ExposeId, a.Address, ct).ConfigureAwait(false);
            if (!released.Succeeded && released.Error != IpamErrorKind.NotFound)
            {
                return IpamEndpoints.Failure(released.Error, $"{a.Address}/{a.PrefixLength} is off bridge {bridge.Name} but still allocated: {released.Message}");
            }
            hidden.Append(a.Address).Append('/').Append(a.PrefixLength).Append('\n');
        }
        return Results.Text(hidden.ToString());
    }

    private static IResult? TakeOff(IBridgeAddresses bridge, IPAddress address)
    {
        try
        {
            bridge.Remove(address);
            return null;
        }
        catch (Exception e) when (e is LinuxError or InvalidOperationException)
        {
            return Results.Text($"cannot take {address} off bridge {bridge.Name}: {e.Message}\n", statusCode: StatusCodes.Status500InternalServerError);
        }
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Weave.Ipam;

namespace Weave.Router.Api;

/// <summary>
/// IP address management with Weave Net's paths: <c>POST /ip/{id}[/{ip}/{plen}]</c> allocates (in
/// the default subnet or the one given), <c>GET</c> looks up, <c>PUT /ip/{id}/{ip}/{plen}</c>
/// claims, <c>DELETE /ip/{id}[/{ip}]</c> frees, <c>GET /ip</c> lists ours as JSON,
/// <c>DELETE /peer/{name}</c> reclaims a dead peer's space, <c>DELETE /peer</c> hands ours over,
/// <c>POST</c> and <c>DELETE /expose</c> give the host an address on the bridge and take it back
/// (<see cref="ExposeEndpoints"/>), <c>GET /status/ipam</c> shows each peer's share. An address on
/// the bridge is not freed by <c>DELETE /ip</c> (409): it is in use by the host. Answers are text (an address as
/// <c>10.32.0.5/12</c>); errors say why with a status code by kind: 400 bad input, 404 unknown,
/// 409 conflict, 503 not ready or no space (worth retrying), 500 state not saved.
/// </summary>
public static class IpamEndpoints
{
    /// <summary>Pod metadata a caller (the CNI plugin) may pass as query fields, kept with the allocation: the pod and its MAC for <c>weave ps</c>, the CNI network and interface for the plugin's GC.</summary>
    public static readonly string[] MetadataKeys = ["K8S_POD_NAMESPACE", "K8S_POD_NAME", "CNI_NETWORK", "CNI_IFNAME", MacKey];

    /// <summary>The pod interface's MAC (<c>aa:bb:cc:dd:ee:ff</c>), which <c>weave ps</c> shows as Weave did.</summary>
    public const string MacKey = "MAC";

    private const int MaxMetadataLength = 253;

    /// <summary>Weave's ID for the address that <c>weave expose</c> gives the host on the bridge.</summary>
    public const string ExposeId = "weave:expose";

    /// <param name="bridge">The bridge's addresses: <c>POST /expose</c> puts one there, and <c>DELETE /ip</c> refuses to free one that is there.</param>
    public static void MapIpamEndpoints(this WebApplication app, IIpamControl ipam, Func<bool> isReady, IBridgeAddresses bridge)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(ipam);
        ArgumentNullException.ThrowIfNull(isReady);
        ArgumentNullException.ThrowIfNull(bridge);

        async Task<IResult> WhenReady(Func<Task<IResult>> handle)
        {
            if (!isReady())
            {
                return Results.Text("router is starting\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            try
            {
                return await handle().ConfigureAwait(false);
            }
            catch (InvalidOperationException e)
            {
                return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }

        // An address on the bridge is the host's while it is there: freeing it would let the next
        // pod have it. `weave hide` takes it off and frees it. Only weave:expose holds bridge
        // addresses (expose, the plugin's gateway and the start-up claim all allocate them to it,
        // and a claim of a held address fails), so a pod's DEL pays for no netlink dump here.
        async Task<IResult?> OnBridgeAsync(string id, IPAddress? only, CancellationToken ct)
        {
            if (id != ExposeId)
            {
                return null;
            }
            IReadOnlyList<(IPAddress Address, int PrefixLength)> onBridge;
            try
            {
                onBridge = bridge.List();
            }
            catch (Exception e) when (e is Weave.Linux.LinuxError or InvalidOperationException)
            {
                return Results.Text($"cannot list the addresses of bridge {bridge.Name}: {e.Message}\n", statusCode: StatusCodes.Status500InternalServerError);
            }
            if (onBridge.Count == 0)
            {
                return null;
            }
            foreach (IpamAllocation a in await ipam.LookupAsync(id, ct).ConfigureAwait(false))
            {
                if ((only is null || a.Address.Equals(only)) && onBridge.Any(b => b.Address.Equals(a.Address)))
                {
                    return Failure(IpamErrorKind.Conflict,
                        $"{a.Address}/{a.PrefixLength} of {MeshEndpoints.Shorten(id)} is on bridge {bridge.Name}, in use by the host: `weave hide {a.Address}` takes it off and frees it");
                }
            }
            return null;
        }

        app.MapPost("/ip/{id}", (string id, HttpRequest request, CancellationToken ct) => WhenReady(async () =>
            Metadata(request, out var metadata, out string? error)
                ? Answer(await ipam.AllocateAsync(id, null, metadata, ct).ConfigureAwait(false))
                : BadRequest(error)));

        app.MapPost("/ip/{id}/{ip}/{plen}", (string id, string ip, string plen, HttpRequest request, CancellationToken ct) => WhenReady(async () =>
        {
            if (!Subnet(ip, plen, out Cidr subnet, out string? error) || !Metadata(request, out var metadata, out error))
            {
                return BadRequest(error);
            }
            return Answer(await ipam.AllocateAsync(id, subnet, metadata, ct).ConfigureAwait(false));
        }));

        app.MapGet("/ip/{id}", (string id, CancellationToken ct) => WhenReady(async () =>
            Addresses(await ipam.LookupAsync(id, ct).ConfigureAwait(false), id, null)));

        app.MapGet("/ip/{id}/{ip}/{plen}", (string id, string ip, string plen, CancellationToken ct) => WhenReady(async () =>
            Subnet(ip, plen, out Cidr subnet, out string? error)
                ? Addresses(await ipam.LookupAsync(id, ct).ConfigureAwait(false), id, subnet)
                : BadRequest(error)));

        app.MapPut("/ip/{id}/{ip}/{plen}", (string id, string ip, string plen, HttpRequest request, CancellationToken ct) => WhenReady(async () =>
        {
            if (!TryAddress(ip, out IPAddress? address, out string? error) || !TryPrefixLength(plen, out int prefixLength, out error) ||
                !Metadata(request, out var metadata, out error))
            {
                return BadRequest(error);
            }
            return Answer(await ipam.ClaimAsync(id, address!, prefixLength, metadata, ct).ConfigureAwait(false));
        }));

        app.MapDelete("/ip/{id}", (string id, CancellationToken ct) => WhenReady(async () =>
            await OnBridgeAsync(id, null, ct).ConfigureAwait(false)
                ?? Freed(await ipam.ReleaseAsync(id, null, ct).ConfigureAwait(false))));

        app.MapDelete("/ip/{id}/{ip}", (string id, string ip, CancellationToken ct) => WhenReady(async () =>
        {
            if (!TryAddress(ip, out IPAddress? address, out string? error))
            {
                return BadRequest(error);
            }
            return await OnBridgeAsync(id, address, ct).ConfigureAwait(false)
                ?? Freed(await ipam.ReleaseAsync(id, address, ct).ConfigureAwait(false));
        }));

        app.MapGet("/ip", (CancellationToken ct) => WhenReady(async () =>
            Results.Text(OwnedJson(await ipam.ListAsync(ct).ConfigureAwait(false)), "application/json")));

        app.MapDelete("/peer/{name}", (string name, CancellationToken ct) => WhenReady(async () =>
            Removed(await ipam.RemovePeerAsync(name, ct).ConfigureAwait(false))));

        app.MapDelete("/peer", (CancellationToken ct) => WhenReady(async () =>
            Removed(await ipam.HandOffAsync(ct).ConfigureAwait(false))));

        ExposeEndpoints.Map(app, ipam, bridge, WhenReady);

        MapIpamStatus(app, ipam, isReady);
    }

    /// <summary><c>GET /status/ipam</c>, here and on the status listener.</summary>
    internal static void MapIpamStatus(WebApplication app, IIpamControl ipam, Func<bool> isReady) =>
        app.MapGet("/status/ipam", async (CancellationToken ct) =>
        {
            if (!isReady())
            {
                return Results.Text("router is starting\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            try
            {
                return Results.Text(StatusText.IpamShares(await ipam.StatusAsync(ct).ConfigureAwait(false)));
            }
            catch (InvalidOperationException e)
            {
                return Results.Text(e.Message + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });

    private static IResult Answer(AllocationResult result) =>
        result.Succeeded && result.Address is not null
            ? Results.Text($"{result.Address}/{result.PrefixLength}")
            : Failure(result.Error, result.Message);

    private static IResult Freed(AllocationResult result) =>
        result.Succeeded ? Results.NoContent() : Failure(result.Error, result.Message);

    private static IResult Removed(RemovePeerResult result) =>
        result.Succeeded ? Results.Text(result.Message + "\n") : Failure(result.Error, result.Message);

    private static IResult Addresses(IReadOnlyList<IpamAllocation> allocations, string id, Cidr? subnet)
    {
        var text = new StringBuilder();
        foreach (IpamAllocation a in allocations)
        {
            if (subnet is not { } s || s.Contains(a.Address))
            {
                text.Append(CultureInfo.InvariantCulture, $"{a.Address}/{a.PrefixLength}\n");
            }
        }
        return text.Length > 0
            ? Results.Text(text.ToString())
            : Failure(IpamErrorKind.NotFound, subnet is null ? $"no address recorded for {MeshEndpoints.Shorten(id)}" : $"no address recorded for {MeshEndpoints.Shorten(id)} in {subnet}");
    }

    internal static IResult Failure(IpamErrorKind kind, string message) => Results.Text(message + "\n", statusCode: kind switch
    {
        IpamErrorKind.Invalid => StatusCodes.Status400BadRequest,
        IpamErrorKind.NotFound => StatusCodes.Status404NotFound,
        IpamErrorKind.Conflict => StatusCodes.Status409Conflict,
        IpamErrorKind.NotReady or IpamErrorKind.NoSpace => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    });

    internal static IResult BadRequest(string? error) => Results.Text(error + "\n", statusCode: StatusCodes.Status400BadRequest);

    internal static bool TryAddress(string text, out IPAddress? address, out string? error)
    {
        if (IPAddress.TryParse(text, out address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && text.Count(c => c == '.') == 3)
        {
            error = null;
            return true;
        }
        error = $"'{MeshEndpoints.Shorten(text)}' is not an IPv4 address";
        return false;
    }

    internal static bool TryPrefixLength(string text, out int prefixLength, out string? error)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out prefixLength) && prefixLength <= 32)
        {
            error = null;
            return true;
        }
        error = $"'{MeshEndpoints.Shorten(text)}' is not a prefix length (0 to 32)";
        return false;
    }

    private static bool Subnet(string ip, string plen, out Cidr subnet, out string? error)
    {
        subnet = default;
        if (!TryAddress(ip, out IPAddress? address, out error) || !TryPrefixLength(plen, out int prefixLength, out error))
        {
            return false;
        }
        if (!Cidr.TryCreate(address!, prefixLength, out subnet, out string cidrError))
        {
            error = cidrError;
            return false;
        }
        return true;
    }

    /// <summary>The known pod metadata fields from the query string; anything else there is ignored (Weave's <c>check-alive</c> and the like).</summary>
    private static bool Metadata(HttpRequest request, out IReadOnlyDictionary<string, string>? metadata, out string? error)
    {
        Dictionary<string, string>? found = null;
        foreach (string key in MetadataKeys)
        {
            string? value = request.Query[key];
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }
            if (value.Length > MaxMetadataLength || value.Any(char.IsControl))
            {
                metadata = null;
                error = $"invalid {key}: at most {MaxMetadataLength} printable characters";
                return false;
            }
            if (key == MacKey && !IsMac(value))
            {
                metadata = null;
                error = $"invalid {MacKey} '{MeshEndpoints.Shorten(value)}': expected six lower-case hex octets like 0a:58:0a:20:00:05";
                return false;
            }
            (found ??= new Dictionary<string, string>(StringComparer.Ordinal))[key] = value;
        }
        metadata = found;
        error = null;
        return true;
    }

    private static bool IsMac(string text) =>
        text.Length == 17 && text.Select((c, i) => i % 3 == 2 ? c == ':' : char.IsAsciiHexDigitLower(c) || char.IsAsciiDigit(c)).All(ok => ok);

    /// <summary>Weave's <c>GET /ip</c> shape, <c>{"owned":[{"containerid":..,"addrs":[..]}]}</c>, plus each ID's metadata.</summary>
    private static string OwnedJson(IReadOnlyList<IpamAllocation> allocations)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("owned");
            foreach (IGrouping<string, IpamAllocation> id in allocations.GroupBy(a => a.Id, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("containerid", id.Key);
                json.WriteStartArray("addrs");
                foreach (IpamAllocation a in id)
                {
                    json.WriteStringValue($"{a.Address}/{a.PrefixLength}");
                }
                json.WriteEndArray();
                json.WriteStartObject("metadata");
                foreach ((string key, string value) in id.First().Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}

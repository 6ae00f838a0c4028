using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Weave.Cni.Spec;

namespace Weave.Cni.RouterApi;

/// <summary><see cref="IRouterIpam"/> over the router's HTTP API (Weave Net's paths).</summary>
public sealed class HttpRouterIpam(RawHttpClient http) : IRouterIpam
{
    /// <summary>Weave's ID for the bridge's own address.</summary>
    public const string ExposeId = "weave:expose";

    public CidrAddress Allocate(string id, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var query = new StringBuilder();
        foreach ((string key, string value) in metadata)
        {
            query.Append(query.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }
        HttpReply reply = Call("POST", "/ip/" + Uri.EscapeDataString(id) + query, "allocate an address for " + id);
        return CidrAddress.TryParse(reply.Body, out CidrAddress? address)
            ? address!
            : throw new CniException(CniErrorCode.RouterRefused, $"the router answered the allocation for {id} with '{CniEnvironment.Shorten(reply.Reason)}', not an address");
    }

    public bool Release(string id)
    {
        HttpReply reply = Send("DELETE", "/ip/" + Uri.EscapeDataString(id), "release the address of " + id);
        if (reply.Status == 404)
        {
            return false;
        }
        Check(reply, "release the address of " + id);
        return true;
    }

    public IReadOnlyList<CidrAddress> Lookup(string id)
    {
        HttpReply reply = Send("GET", "/ip/" + Uri.EscapeDataString(id), "look up the address of " + id);
        if (reply.Status == 404)
        {
            return [];
        }
        Check(reply, "look up the address of " + id);
        var addresses = new List<CidrAddress>();
        foreach (string line in reply.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            addresses.Add(CidrAddress.TryParse(line, out CidrAddress? address)
                ? address!
                : throw new CniException(CniErrorCode.RouterRefused, $"the router's address for {id} is '{CniEnvironment.Shorten(line)}', not an address"));
        }
        return addresses;
    }

    public IReadOnlyList<OwnedAllocations.Entry> List()
    {
        HttpReply reply = Call("GET", "/ip", "list allocations");
        try
        {
            return JsonSerializer.Deserialize(reply.Body, CniJsonContext.Default.OwnedAllocations)?.Owned ?? [];
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.RouterRefused, "the router's list of allocations is not the expected JSON: " + e.Message);
        }
    }

    public CidrAddress ExposeBridge()
    {
        // Allocating is idempotent per ID, so pods added in parallel agree on one address; the
        // router then claims it (again idempotent) and puts it on the bridge.
        CidrAddress address = Allocate(ExposeId, new Dictionary<string, string>());
        Call("POST", $"/expose/{address.Address}/{address.PrefixLength}", $"put {address} on the bridge weave");
        return address;
    }

    public string? WhyNotReady()
    {
        HttpReply reply;
        try
        {
            reply = http.Send("GET", "/status/ipam");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return $"the weave router is unreachable at {http.Endpoint}: {e.Message}";
        }
        return reply.Ok ? null : $"IP allocation is not ready (the router answered {reply.Status}: {reply.Reason})";
    }

    private HttpReply Call(string method, string path, string what)
    {
        HttpReply reply = Send(method, path, what);
        Check(reply, what);
        return reply;
    }

    private HttpReply Send(string method, string path, string what)
    {
        try
        {
            return http.Send(method, path);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new CniException(CniErrorCode.TryAgainLater,
                $"cannot {what}: the weave router is unreachable at {http.Endpoint} ({e.Message}); is it running?");
        }
    }

    private static void Check(HttpReply reply, string what)
    {
        if (reply.Ok)
        {
            return;
        }
        throw reply.Status == 503
            ? new CniException(CniErrorCode.TryAgainLater, $"cannot {what}: the router is not ready ({reply.Reason})")
            : new CniException(CniErrorCode.RouterRefused, $"cannot {what}: the router answered {reply.Status} ({reply.Reason})");
    }
}

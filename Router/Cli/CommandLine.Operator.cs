using System.CommandLine;
using System.Globalization;
using System.Net;

namespace Weave.Router.Cli;

/// <summary>The operator's commands around a running router: expose, hide.</summary>
public static partial class CommandLine
{
    private static Command BuildExpose()
    {
        var httpAddr = HttpAddrOption();
        var cidr = new Argument<string?>("IP/PLEN") { Arity = ArgumentArity.ZeroOrOne, Description = "An address of the range with its prefix length (default: one allocated in the default subnet)" };
        var expose = new Command("expose", "Give the host an address of the range on the bridge, so it reaches the pods (allocated to weave:expose)") { httpAddr, cidr };
        expose.SetAction(async (parsed, ct) =>
        {
            string path = parsed.GetValue(cidr) is { } given ? "/expose/" + AddressPath(given, requirePrefix: true) : "/expose";
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            Console.WriteLine((await client.PostFormAsync(path, [], ct).ConfigureAwait(false)).TrimEnd());
            return 0;
        });
        return expose;
    }

    private static Command BuildHide()
    {
        var httpAddr = HttpAddrOption();
        var cidr = new Argument<string?>("IP[/PLEN]") { Arity = ArgumentArity.ZeroOrOne, Description = "The exposed address to take off (default: every address of weave:expose)" };
        var hide = new Command("hide", "Take an exposed address off the bridge and release it") { httpAddr, cidr };
        hide.SetAction(async (parsed, ct) =>
        {
            string path = parsed.GetValue(cidr) is { } given ? "/expose/" + AddressPath(given, requirePrefix: false) : "/expose";
            using var client = new RouterClient(RouterClient.ResolveAddress(parsed.GetValue(httpAddr)));
            Console.Write(await client.DeleteAsync(path, ct).ConfigureAwait(false));
            return 0;
        });
        return hide;
    }

    /// <summary>
    /// <c>IP/PLEN</c> (or <c>IP</c> when <paramref name="requirePrefix"/> is false) as the path
    /// <c>{ip}/{plen}</c> or <c>{ip}</c>, checked here first so a typo fails before any request.
    /// </summary>
    private static string AddressPath(string given, bool requirePrefix)
    {
        string[] parts = given.Split('/');
        string expected = requirePrefix ? "IP/PLEN like 10.32.0.1/12" : "IP or IP/PLEN like 10.32.0.1/12";
        if (parts.Length > 2 || (requirePrefix && parts.Length != 2) ||
            !IPAddress.TryParse(parts[0], out IPAddress? address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork ||
            parts[0].Count(c => c == '.') != 3)
        {
            throw new CliException($"'{given}' is not an IPv4 address: expected {expected}");
        }
        if (parts.Length == 1)
        {
            return address.ToString();
        }
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int prefixLength) || prefixLength > 32)
        {
            throw new CliException($"'{given}' has no prefix length of 0 to 32: expected {expected}");
        }
        return $"{address}/{prefixLength}";
    }
}

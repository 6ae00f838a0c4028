using System.Globalization;
using System.Net;

namespace Weave.Cni.RouterApi;

/// <summary>Where the router's HTTP API listens: the config's <c>routerAddress</c>, else
/// <c>$WEAVE_HTTP_ADDR</c>, else 127.0.0.1:6784, as the <c>weave</c> CLI finds it.</summary>
public static class RouterEndpoint
{
    public const string EnvironmentVariable = "WEAVE_HTTP_ADDR";
    public static readonly IPEndPoint Default = new(IPAddress.Loopback, 6784);

    /// <summary>Parses <c>ip:port</c> (IPv6 as <c>[::1]:6784</c>); a host name is not accepted, to need no resolver.</summary>
    public static bool TryParse(string? text, out IPEndPoint endpoint)
    {
        endpoint = Default;
        if (string.IsNullOrWhiteSpace(text) || !IPEndPoint.TryParse(text, out IPEndPoint? parsed) || parsed.Port == 0 ||
            !text.Contains(':', StringComparison.Ordinal) || text.EndsWith(']'))
        {
            return false;
        }
        endpoint = parsed;
        return true;
    }

    /// <exception cref="Spec.CniException">Code 4 when <c>$WEAVE_HTTP_ADDR</c> is set but malformed.</exception>
    public static IPEndPoint Resolve(string? configured)
    {
        if (configured is not null)
        {
            return TryParse(configured, out IPEndPoint fromConfig) ? fromConfig : Default;
        }
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(fromEnvironment))
        {
            return Default;
        }
        return TryParse(fromEnvironment, out IPEndPoint endpoint)
            ? endpoint
            : throw new Spec.CniException(Spec.CniErrorCode.InvalidEnvironment,
                string.Create(CultureInfo.InvariantCulture, $"{EnvironmentVariable} '{Spec.CniEnvironment.Shorten(fromEnvironment)}' is not ip:port"));
    }
}

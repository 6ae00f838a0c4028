using System.Net;

namespace Weave.Kube.Api;

/// <summary>
/// How a pod reaches the API server: <c>KUBERNETES_SERVICE_HOST</c>/<c>_PORT</c>, which the kubelet
/// puts in every container, and the service account's token and CA certificate mounted at
/// <see cref="DefaultDirectory"/>. The token is read again for every request: projected tokens
/// are rotated by the kubelet while the router runs.
/// </summary>
public sealed record InClusterConfig(Uri Server, string TokenPath, string CaPath, string Namespace)
{
    public const string DefaultDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>Reads the configuration; false with the reason when this is not a pod with a service account.</summary>
    public static bool TryLoad(Func<string, string?> environment, string directory, out InClusterConfig? config, out string error)
    {
        ArgumentNullException.ThrowIfNull(environment);
        config = null;
        string? host = environment("KUBERNETES_SERVICE_HOST");
        string? port = environment("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
        {
            error = "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a Kubernetes pod";
            return false;
        }
        if (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int portNumber) ||
            portNumber is < 1 or > 65535)
        {
            error = $"KUBERNETES_SERVICE_PORT '{port}' is not a port number";
            return false;
        }
        string authority = IPAddress.TryParse(host, out IPAddress? address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{host}]"
            : host;
        if (!Uri.TryCreate($"https://{authority}:{portNumber}", UriKind.Absolute, out Uri? server))
        {
            error = $"KUBERNETES_SERVICE_HOST '{host}' is not a host name or address";
            return false;
        }
        string token = Path.Combine(directory, "token");
        string ca = Path.Combine(directory, "ca.crt");
        foreach (string file in (string[])[token, ca])
        {
            if (!File.Exists(file))
            {
                error = $"{file} is missing: the pod has no service account token (automountServiceAccountToken: false?)";
                return false;
            }
        }
        string ns = "kube-system";
        string nsFile = Path.Combine(directory, "namespace");
        if (File.Exists(nsFile))
        {
            string text = File.ReadAllText(nsFile).Trim();
            if (text.Length > 0)
            {
                ns = text;
            }
        }
        config = new InClusterConfig(server, token, ca, ns);
        error = "";
        return true;
    }
}

namespace Weave.Cni.Spec;

/// <summary>
/// CNI_ARGS: <c>KEY=VALUE</c> pairs separated by ';', in any order (containerd sends
/// <c>IgnoreUnknown=1;K8S_POD_NAMESPACE=..;K8S_POD_NAME=..;K8S_POD_INFRA_CONTAINER_ID=..;K8S_POD_UID=..</c>).
/// Unknown keys are kept and ignored whether or not <c>IgnoreUnknown</c> is given: this plugin
/// only reads the pod's namespace and name, and failing a pod over an extra key helps no one.
/// </summary>
public sealed class CniArgs
{
    public const string PodNamespaceKey = "K8S_POD_NAMESPACE";
    public const string PodNameKey = "K8S_POD_NAME";

    /// <summary>Longest value kept (a Kubernetes name is at most 253 characters).</summary>
    public const int MaxValueLength = 253;

    private readonly Dictionary<string, string> _values;

    private CniArgs(Dictionary<string, string> values)
    {
        _values = values;
    }

    public static CniArgs Empty { get; } = new(new Dictionary<string, string>(StringComparer.Ordinal));

    public IReadOnlyDictionary<string, string> Values => _values;

    public string? PodNamespace => _values.GetValueOrDefault(PodNamespaceKey);

    public string? PodName => _values.GetValueOrDefault(PodNameKey);

    /// <exception cref="CniException">Code 4 when a pair has no '=' or an empty key, or the pod's
    /// namespace or name is too long or holds control characters.</exception>
    public static CniArgs Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in text.Split(';'))
        {
            if (pair.Length == 0)
            {
                continue; // a trailing ';' or ';;'
            }
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CniException(CniErrorCode.InvalidEnvironment,
                    $"CNI_ARGS: '{CniEnvironment.Shorten(pair)}' is not KEY=VALUE");
            }
            string key = pair[..equals].Trim();
            string value = pair[(equals + 1)..];
            if (key is PodNamespaceKey or PodNameKey && (value.Length > MaxValueLength || value.Any(char.IsControl)))
            {
                throw new CniException(CniErrorCode.InvalidEnvironment,
                    $"CNI_ARGS: {key} must be at most {MaxValueLength} printable characters");
            }
            values[key] = value;
        }
        return new CniArgs(values);
    }
}

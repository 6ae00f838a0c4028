namespace Weave.Cni.Spec;

/// <summary>The CNI specification versions this plugin speaks, and what each allows.</summary>
public static class CniVersion
{
    public const string Latest = "1.1.0";

    /// <summary>Every version VERSION lists; results are written in the config's one.</summary>
    public static readonly IReadOnlyList<string> Supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    public static bool IsSupported(string? version) => version is not null && Supported.Contains(version, StringComparer.Ordinal);

    /// <summary>CHECK came with spec 0.4.0.</summary>
    public static bool HasCheck(string version) => Compare(version, "0.4.0") >= 0;

    /// <summary>STATUS and GC came with spec 1.1.0.</summary>
    public static bool HasStatusAndGc(string version) => Compare(version, "1.1.0") >= 0;

    /// <summary>Before 1.0.0 each IP in a result carried <c>"version": "4"</c> or <c>"6"</c>.</summary>
    public static bool IpsCarryVersion(string version) => Compare(version, "1.0.0") < 0;

    /// <summary>Orders two supported versions (their position in <see cref="Supported"/>).</summary>
    public static int Compare(string a, string b) => IndexOf(a).CompareTo(IndexOf(b));

    private static int IndexOf(string version)
    {
        for (int i = 0; i < Supported.Count; i++)
        {
            if (string.Equals(Supported[i], version, StringComparison.Ordinal))
            {
                return i;
            }
        }
        throw new ArgumentException($"'{version}' is not a supported CNI version", nameof(version));
    }
}

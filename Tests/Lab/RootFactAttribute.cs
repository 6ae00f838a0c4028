using Weave.Linux;
using Xunit;

namespace Weave.Lab;

/// <summary>
/// A test that needs root (namespaces, TAP, netlink). Without root it is skipped with the reason,
/// except under CI (<c>CI=true</c>), where a skipped end-to-end test would hide a broken pipeline:
/// there it runs and fails with the reason instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RootFactAttribute : FactAttribute
{
    public const string NeedsRoot = "needs root (network namespaces, TAP, netlink): run `sudo ./test.sh`";

    public RootFactAttribute()
    {
        if (!Privileges.IsRoot && !IsCi)
        {
            Skip = NeedsRoot;
        }
    }

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Call first in a root test body: fails with the reason when we run without root under CI.</summary>
    public static void Require()
    {
        if (!Privileges.IsRoot)
        {
            throw new InvalidOperationException("CI=true forbids skipping: this test " + NeedsRoot);
        }
    }
}

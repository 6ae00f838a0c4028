using Weave.Lab;
using Xunit;

namespace Weave.EndToEnd;

internal static class WeaveCli
{
    /// <summary>Runs <c>weave ARGS</c> on <paramref name="host"/>, fails the test unless it succeeds, and returns its stdout.</summary>
    public static string RunOk(LabHost host, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(host);
        CommandResult result = host.RunWeave(args);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }
}

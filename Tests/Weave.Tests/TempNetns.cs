using System.Diagnostics;
using Weave.Linux;

namespace Weave.Tests;

/// <summary>
/// A network namespace of its own for one test: <c>ip netns add wvtest-&lt;random&gt;</c> on
/// construction, <c>ip netns del</c> on Dispose (which also removes every link created in it).
/// Do all link work inside <see cref="Run(Action)"/>; never touch the root namespace's links.
/// </summary>
public sealed class TempNetns : IDisposable
{
    public TempNetns(string prefix = "wvtest")
    {
        Name = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        Ip("netns", "add", Name);
    }

    public string Name { get; }

    public void Run(Action body) => NetNs.Run(Name, body);

    public T Run<T>(Func<T> body) => NetNs.Run(Name, body);

    public void Dispose() => Ip("netns", "del", Name);

    /// <summary>Runs ip(8) (tests only; product code uses netlink) and returns its stdout.</summary>
    public static string Ip(params string[] arguments)
    {
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start ip");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result.Trim()}");
        }
        return output;
    }
}

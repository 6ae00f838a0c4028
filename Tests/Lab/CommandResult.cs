namespace Weave.Lab;

/// <summary>The outcome of a finished command: exit code and everything it printed.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string Stdout, string Stderr, bool TimedOut)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;

    /// <summary>Stderr split into its non-empty lines.</summary>
    public IReadOnlyList<string> StderrLines =>
        Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Returns this result when the command succeeded, else throws with its output.</summary>
    public CommandResult EnsureSuccess() =>
        Succeeded ? this : throw new InvalidOperationException("command failed: " + this);

    public override string ToString() =>
        $"`{CommandLine}` {(TimedOut ? "timed out" : $"exited {ExitCode}")}" +
        (Stdout.Length > 0 ? $"\n--- stdout ---\n{Stdout.TrimEnd()}" : "") +
        (Stderr.Length > 0 ? $"\n--- stderr ---\n{Stderr.TrimEnd()}" : "");
}

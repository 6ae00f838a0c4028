using System.Diagnostics;

namespace Weave.Lab;

/// <summary>Runs a short-lived program to completion with a timeout and captures its output.</summary>
public static class Command
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static CommandResult Run(string file, params string[] args) => Run(DefaultTimeout, file, args);

    public static CommandResult Run(TimeSpan timeout, string file, params string[] args) => Run(timeout, file, args, stdin: null, environment: null);

    /// <summary>Runs with <paramref name="stdin"/> written to the program's input (then closed) and
    /// <paramref name="environment"/> added to the inherited environment.</summary>
    public static CommandResult Run(TimeSpan timeout, string file, string[] args, string? stdin, IReadOnlyDictionary<string, string>? environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        var startInfo = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }
        string commandLine = Describe(file, args);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start " + commandLine);
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        bool exited = process.WaitForExit(timeout);
        if (!exited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the timeout and the kill.
            }
            process.WaitForExit();
        }
        return new CommandResult(commandLine, exited ? process.ExitCode : -1, stdout.Result, stderr.Result, !exited);
    }

    internal static string Describe(string file, IEnumerable<string> args) =>
        string.Join(' ', new[] { file }.Concat(args).Select(a => a.Length == 0 || a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));
}

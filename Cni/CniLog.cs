using System.Globalization;

namespace Weave.Cni;

/// <summary>
/// The plugin's log: lines to stderr and, when the config names one, appended to a file. Never
/// stdout, which carries only the spec's JSON. A log file that cannot be written is reported once
/// on stderr and otherwise ignored: logging must not fail a pod.
/// </summary>
public sealed class CniLog(TextWriter stderr)
{
    private string? _file;
    private string _prefix = "weave-net";

    /// <summary>Also append to <paramref name="path"/> from now on.</summary>
    public void AlsoTo(string? path) => _file = string.IsNullOrWhiteSpace(path) ? null : path;

    /// <summary>What every line starts with: the command and container.</summary>
    public void Context(string command, string containerId) =>
        _prefix = containerId.Length == 0 ? $"weave-net {command}" : $"weave-net {command} {Spec.CniEnvironment.Shorten(containerId)}";

    public void Info(string message) => Write("info", message);

    public void Error(string message) => Write("error", message);

    private void Write(string level, string message)
    {
        string line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level} {_prefix}: {message}");
        stderr.WriteLine(line);
        if (_file is null)
        {
            return;
        }
        try
        {
            File.AppendAllText(_file, line + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"weave-net: cannot write the log file {_file}: {e.Message}");
            _file = null;
        }
    }
}

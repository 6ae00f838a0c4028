using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Weave.Lab;

/// <summary>
/// A long-running program inside a lab namespace (a router, a server). Its stdout and stderr are
/// kept in memory, copied to a log file, and passed line by line to the lab's log.
/// </summary>
public sealed class LabProcess : IDisposable
{
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _output = new();
    private readonly StreamWriter _logFile;
    private readonly Action<string>? _log;
    private readonly string _label;
    private bool _disposing;
    private bool _disposed;
    private bool _logClosed;
    private int? _exitCode;

    internal LabProcess(string netns, string label, string logPath, Action<string>? log, string file, IEnumerable<string> args)
    {
        _label = label;
        _log = log;
        LogPath = logPath;
        _logFile = new StreamWriter(logPath, append: false, Encoding.UTF8) { AutoFlush = true };
        var startInfo = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        string[] argv = ["netns", "exec", netns, file, .. args];
        foreach (string arg in argv)
        {
            startInfo.ArgumentList.Add(arg);
        }
        CommandLine = Command.Describe("ip", argv);
        _process = new Process { StartInfo = startInfo };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data, _stdout, "out");
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data, _stderr, "err");
        Write($"$ {CommandLine}");
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        // `ip netns exec` execs the program in place, so this id is the program's own.
        Pid = _process.Id;
    }

    public int Pid { get; }

    public string CommandLine { get; }

    /// <summary>Where stdout and stderr are logged, one timestamped line each.</summary>
    public string LogPath { get; }

    public bool HasExited => ExitCode is not null;

    /// <summary>The exit code, or null while it runs.</summary>
    public int? ExitCode
    {
        get
        {
            lock (_gate)
            {
                if (_exitCode is null && !_disposed && _process.HasExited)
                {
                    _exitCode = _process.ExitCode;
                }
                return _exitCode;
            }
        }
    }

    public string Stdout { get { lock (_gate) { return _stdout.ToString(); } } }

    public string Stderr { get { lock (_gate) { return _stderr.ToString(); } } }

    /// <summary>Stdout and stderr interleaved in arrival order.</summary>
    public string Output { get { lock (_gate) { return _output.ToString(); } } }

    /// <summary>Stderr's non-empty lines.</summary>
    public IReadOnlyList<string> StderrLines =>
        Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Waits for the program to end and for its output to be read completely.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (_disposed)
        {
            return HasExited;
        }
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }
        _process.WaitForExit();
        return true;
    }

    /// <summary>
    /// Sends SIGTERM and waits for the exit code. If it does not exit within the timeout it is
    /// killed, and a <see cref="TimeoutException"/> carries its output.
    /// </summary>
    public int Stop(TimeSpan? timeout = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_process.HasExited)
        {
            Write("# sending SIGTERM");
            _ = Signals.Send(Pid, Signals.SigTerm);
        }
        if (WaitForExit(timeout ?? DefaultStopTimeout))
        {
            return _process.ExitCode;
        }
        Kill();
        throw new TimeoutException($"{_label} did not exit within {timeout ?? DefaultStopTimeout} of SIGTERM; killed it. Output:\n{Output}");
    }

    /// <summary>Sends SIGTERM without waiting, so a lab can stop all its processes at once.</summary>
    internal void SignalStop()
    {
        if (!_disposed && !_process.HasExited)
        {
            _ = Signals.Send(Pid, Signals.SigTerm);
        }
    }

    /// <summary>SIGKILL, as a crash would end it; waits until it is gone.</summary>
    public void Kill()
    {
        if (_disposed || _process.HasExited)
        {
            return;
        }
        Write("# sending SIGKILL");
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        _ = _process.WaitForExit(TimeSpan.FromSeconds(10));
    }

    /// <summary>Stops it politely (SIGTERM, a few seconds), then by force; never throws.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposing)
            {
                return;
            }
            _disposing = true;
        }
        try
        {
            if (!_process.HasExited)
            {
                _ = Signals.Send(Pid, Signals.SigTerm);
                if (!WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    Kill();
                }
            }
            _process.WaitForExit();
            Write($"# exited {_process.ExitCode}");
        }
        catch (Exception e)
        {
            Write($"# stopping failed: {e.Message}");
        }
        _ = ExitCode;
        lock (_gate)
        {
            _disposed = true;
            _logClosed = true;
            _logFile.Dispose();
        }
        _process.Dispose();
    }

    public override string ToString() => $"{_label} (pid {Pid}): {CommandLine}";

    private void OnLine(string? line, StringBuilder stream, string tag)
    {
        if (line is null)
        {
            return;
        }
        lock (_gate)
        {
            stream.Append(line).Append('\n');
            _output.Append(line).Append('\n');
        }
        Write($"[{tag}] {line}");
    }

    private void Write(string line)
    {
        string stamped = string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff} {_label} {line}");
        lock (_gate)
        {
            if (!_logClosed)
            {
                _logFile.WriteLine(stamped);
            }
        }
        try
        {
            _log?.Invoke(stamped);
        }
        catch (InvalidOperationException)
        {
            // xunit's output helper refuses lines once its test has finished.
        }
    }
}

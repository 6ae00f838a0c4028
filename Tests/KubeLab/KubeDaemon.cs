using System.Diagnostics;
using System.Globalization;
using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// A long-running program of a cluster (etcd, kube-apiserver, a node's containerd, ...), started
/// inside namespaces given by an <c>nsenter</c> prefix. A short shell prologue sends its output to
/// its log file and moves it into its cgroups, then execs it: so it is in its node's cgroups before
/// it can fork (the shims and containers it starts follow it there), it writes straight to the file
/// (nothing of it hangs on a pipe to this process), and its pid is the program's own.
/// </summary>
internal sealed class KubeDaemon
{
    // $1 the log, $2 the cgroup directories, the rest the program and its arguments.
    private const string Launcher = """
        log=$1; cgroups=$2; shift 2
        exec </dev/null >>"$log" 2>&1
        for c in $cgroups; do echo $$ >"$c/cgroup.procs" || exit 125; done
        exec "$@"
        """;

    private readonly string[] _argv;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly Lock _gate = new();
    private Process? _process;

    public KubeDaemon(
        string name, string logPath, IReadOnlyList<string> enter, IReadOnlyList<string> cgroups, string file,
        IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        Name = name;
        LogPath = logPath;
        _environment = environment ?? new Dictionary<string, string>();
        _argv = [.. enter, "/bin/sh", "-c", Launcher, "kubelab-" + name, logPath, string.Join(' ', cgroups), file, .. args];
        CommandLine = string.Join(' ', new[] { file }.Concat(args));
    }

    public string Name { get; }

    public string LogPath { get; }

    public string CommandLine { get; }

    /// <summary>The program's pid while it runs (the last one, once it has exited).</summary>
    public int Pid
    {
        get { lock (_gate) { return _process?.Id ?? 0; } }
    }

    public bool IsRunning
    {
        get { lock (_gate) { return _process is { HasExited: false }; } }
    }

    /// <summary>True when it was started and has exited since (false before the first start).</summary>
    public bool HasExited
    {
        get { lock (_gate) { return _process is { HasExited: true }; } }
    }

    /// <summary>Starts it (again, after <see cref="Stop"/>); a header line in the log marks each start.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_process is { HasExited: false })
            {
                throw new InvalidOperationException($"{Name} is already running (pid {_process.Id})");
            }
            _process?.Dispose();
            File.AppendAllText(LogPath, string.Create(CultureInfo.InvariantCulture, $"# {DateTime.Now:HH:mm:ss.fff} starting: {CommandLine}\n"));
            var startInfo = new ProcessStartInfo(_argv[0]) { UseShellExecute = false };
            foreach (string arg in _argv.AsSpan(1))
            {
                startInfo.ArgumentList.Add(arg);
            }
            foreach ((string key, string value) in _environment)
            {
                startInfo.Environment[key] = value;
            }
            _process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start " + CommandLine);
        }
    }

    /// <summary>SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL. Never throws.</summary>
    public void Stop(TimeSpan grace)
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
        }
        if (process is null || process.HasExited)
        {
            return;
        }
        _ = Signals.Send(process.Id, Signals.SigTerm);
        if (!process.WaitForExit(grace))
        {
            _ = Signals.Send(process.Id, Signals.SigKill);
            _ = process.WaitForExit(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Sends SIGTERM without waiting, so many can be stopped at once.</summary>
    public void SignalStop()
    {
        lock (_gate)
        {
            if (_process is { HasExited: false })
            {
                _ = Signals.Send(_process.Id, Signals.SigTerm);
            }
        }
    }

    /// <summary>Throws with the end of its log when it has exited: a wait need not time out to find that.</summary>
    public void EnsureRunning()
    {
        lock (_gate)
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException(
                    $"{Name} exited with {_process.ExitCode}: {CommandLine}\n--- last lines of {LogPath} ---\n{Tail(LogPath, 30)}");
            }
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of a log file (empty when there is none).</summary>
    public static string Tail(string path, int lines)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            // The end is enough: these logs grow to megabytes.
            stream.Seek(Math.Max(0, stream.Length - (lines * 400)), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            string[] all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('\n', all.TakeLast(lines).Select(l => l.Length > 400 ? l[..400] + " ..." : l));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public override string ToString() => $"{Name} (pid {Pid}): {CommandLine}";
}

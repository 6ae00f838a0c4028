using System.Diagnostics;
using System.Globalization;
using Weave.Lab;
using Weave.Linux;

namespace Weave.KubeLab;

/// <summary>
/// The process that holds a node's mount and UTS namespaces: unshare makes them inside the node's
/// network namespace, then a shell sets the hostname, bind-mounts the node's private views, says
/// "ready" and becomes <c>sleep infinity</c>. Propagation is private, so none of those mounts
/// reaches the machine, and they vanish with the namespace. Every program of the node joins all
/// three namespaces with <c>nsenter -t PID -n -m -u</c>; <c>ip netns exec</c> would not do: it
/// makes a mount namespace of its own and remounts /sys, hiding the cgroups kubelet and runc need.
/// </summary>
internal sealed class NodeHolder
{
    private const string Script = """
        hostname "$1"; shift
        while [ $# -ge 2 ]; do mount --bind "$1" "$2" || exit 1; shift 2; done
        echo ready
        exec sleep infinity </dev/null >/dev/null 2>&1
        """;

    private readonly Process _process;

    private NodeHolder(Process process)
    {
        _process = process;
        Pid = process.Id;
        Enter = ["-t", Pid.ToString(CultureInfo.InvariantCulture), "-n", "-m", "-u", "--"];
    }

    public int Pid { get; }

    /// <summary>nsenter's arguments that enter the node (then the command follows).</summary>
    public string[] Enter { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the holder and waits until the node's mounts are in place.</summary>
    public static NodeHolder Start(string netns, string hostname, IReadOnlyList<(string Source, string Target)> mounts, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo("nsenter")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        string[] argv =
        [
            "--net=" + NetNs.PathOf(netns), "--", "unshare", "--mount", "--uts", "--propagation", "private", "--",
            "/bin/sh", "-c", Script, "kubelab-holder", hostname, .. mounts.SelectMany(m => new[] { m.Source, m.Target }),
        ];
        foreach (string arg in argv)
        {
            startInfo.ArgumentList.Add(arg);
        }
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start nsenter");
        process.StandardInput.Close();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        Task<string?> line = process.StandardOutput.ReadLineAsync();
        if (line.Wait(timeout) && line.Result == "ready")
        {
            return new NodeHolder(process);
        }
        _ = Signals.Send(process.Id, Signals.SigKill);
        process.WaitForExit();
        string stderr = errors.Wait(TimeSpan.FromSeconds(5)) ? errors.Result : "";
        process.Dispose();
        throw new InvalidOperationException($"setting up {hostname}'s namespaces failed: {stderr.Trim()}");
    }

    /// <summary>Kills the holder (its namespaces go when the last process in them has gone) and reaps it.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _ = Signals.Send(Pid, Signals.SigKill);
        }
        _ = _process.WaitForExit(TimeSpan.FromSeconds(10));
    }
}

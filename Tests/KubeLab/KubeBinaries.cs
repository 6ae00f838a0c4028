using System.Diagnostics;
using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// The programs a cluster runs: Kubernetes v1.20.2 built by <c>build-kubernetes.sh</c> into
/// <c>$WEAVE_KUBE_CACHE/v1.20.2/bin</c> (default <c>/var/tmp/weave-kube</c>), and the Debian
/// packages that script installs (etcd, containerd, runc, CNI plugins, busybox, iptables, ...).
/// When anything is missing the script runs once (about 10 minutes on 2 cores), so a test run
/// alone works on a fresh machine.
/// </summary>
public static class KubeBinaries
{
    public const string Version = "v1.20.2";

    public const string ScriptName = "build-kubernetes.sh";

    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(60);

    private static readonly string[] s_kubernetes =
        ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl", "pause"];

    // What the cluster runs from the Debian packages; the CNI plugins are copied into every node.
    private static readonly string[] s_machine =
    [
        "/usr/bin/etcd", "/usr/bin/containerd", "/usr/bin/containerd-shim-runc-v2", "/usr/sbin/runc", "/usr/bin/ctr",
        "/usr/bin/nsenter", "/usr/bin/unshare", "/usr/sbin/iptables", "/usr/sbin/conntrack", "/bin/busybox",
        "/usr/lib/cni/loopback", "/usr/lib/cni/portmap", "/usr/lib/cni/bridge", "/usr/lib/cni/host-local",
    ];

    private static readonly Lock s_gate = new();

    /// <summary><c>$WEAVE_KUBE_CACHE</c>, default <c>/var/tmp/weave-kube</c>: survives reboots and runs.</summary>
    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("WEAVE_KUBE_CACHE") is { Length: > 0 } root ? root : "/var/tmp/weave-kube";

    /// <summary>Everything cached for this Kubernetes version (binaries, images).</summary>
    public static string VersionDirectory => Path.Combine(CacheRoot, Version);

    public static string BinDirectory => Path.Combine(VersionDirectory, "bin");

    public static string PathOf(string binary) => Path.Combine(BinDirectory, binary);

    /// <summary>What is missing for a cluster to start; empty when everything is there.</summary>
    public static IReadOnlyList<string> Missing() =>
        [.. s_kubernetes.Select(PathOf).Concat(s_machine).Where(path => !File.Exists(path))];

    /// <summary>
    /// Returns when every program is in place; runs <c>build-kubernetes.sh</c> first when not (one
    /// build at a time per machine). Throws with the script's last lines when that fails.
    /// </summary>
    public static void Ensure(Action<string>? log = null)
    {
        lock (s_gate)
        {
            if (Missing().Count == 0)
            {
                return;
            }
            _ = Directory.CreateDirectory(CacheRoot);
            using MachineLock machineLock = MachineLock.Acquire(Path.Combine(CacheRoot, ".build.lock"), s_buildTimeout);
            IReadOnlyList<string> missing = Missing();
            if (missing.Count == 0)
            {
                return; // another process built them while we waited
            }
            string script = Script();
            log?.Invoke($"kube lab: missing {string.Join(", ", missing)}: running {script} (about 10 min the first time)");
            RunScript(script, log);
            missing = Missing();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException($"{script} succeeded but these are still missing: {string.Join(", ", missing)}");
            }
        }
    }

    private static string Script()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, ScriptName);
        if (File.Exists(beside))
        {
            return beside;
        }
        string inRepo = Path.Combine(Repo.Root, "Tests", "KubeLab", ScriptName);
        return File.Exists(inRepo)
            ? inRepo
            : throw new FileNotFoundException($"{ScriptName} is neither beside the tests ({beside}) nor in the repository ({inRepo})");
    }

    private static void RunScript(string script, Action<string>? log)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(script);
        var tail = new Queue<string>();
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > 40)
                {
                    _ = tail.Dequeue();
                }
            }
            log?.Invoke(line); // the script prefixes its own lines
        }
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _ = process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(s_buildTimeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{script} did not finish within {s_buildTimeout}; last lines:\n{string.Join('\n', tail)}");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{script} failed (exit {process.ExitCode}); the Kubernetes lab cannot start without its binaries. Last lines:\n{string.Join('\n', tail)}");
        }
    }
}

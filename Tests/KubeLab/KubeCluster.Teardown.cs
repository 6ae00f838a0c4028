using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// Taking a cluster down: every process (the nodes' by their cgroups, so containers in network
/// namespaces of their own go too), the cgroups, the namespaces with their links, the mount points
/// no other run needs, and the run directory (its logs moved aside with WEAVE_LAB_KEEP_LOGS=1).
/// </summary>
public sealed partial class KubeCluster
{
    private static readonly TimeSpan s_controlPlaneGrace = TimeSpan.FromSeconds(3);

    private readonly TaskCompletionSource _removed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    /// <summary>True once <see cref="Dispose"/> has begun, e.g. from a Ctrl-C handler.</summary>
    public bool IsDisposed
    {
        get { lock (_gate) { return _disposed; } }
    }

    /// <summary>
    /// Removes everything the run made. Idempotent; never throws (what could not be removed is
    /// logged, and the next start removes it). A call while another thread (a signal handler) is
    /// removing the run waits until it is done, so the process cannot exit halfway.
    /// </summary>
    public void Dispose()
    {
        bool first;
        lock (_gate)
        {
            first = !_disposed;
            _disposed = true;
        }
        if (!first)
        {
            _ = _removed.Task.Wait(TimeSpan.FromSeconds(90));
            return;
        }
        try
        {
            Remove();
        }
        catch (Exception e)
        {
            Log("removing the run failed: " + e);
        }
        finally
        {
            _removed.TrySetResult();
        }
    }

    private void Remove()
    {
        ExitCleanup.Untrack(this);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Log("removing the run");
        // The control plane winds down while the nodes are killed; its state is thrown away anyway.
        foreach (KubeDaemon daemon in _controlPlane?.All ?? [])
        {
            daemon.SignalStop();
        }
        Parallel.ForEach(Nodes, node =>
        {
            foreach (string problem in node.Kill())
            {
                Log($"{node.Name}: {problem}");
            }
        });
        foreach (KubeDaemon daemon in _controlPlane?.All ?? [])
        {
            daemon.Stop(s_controlPlaneGrace);
        }
        _api?.Dispose();
        _pki?.Dispose();
        foreach (string ns in Namespaces.Reverse())
        {
            if (RemoveNamespace(ns) is string error)
            {
                Log(error);
            }
        }
        HostMountPoints.ReleaseUnlessInUse(RunName, _log is null ? null : Log);
        RemoveRunDirectory();
        Log($"removed in {clock.Elapsed.TotalSeconds:F1} s");
    }

    private void RemoveRunDirectory()
    {
        try
        {
            if (Weave.Lab.NetLab.KeepLogs && Directory.Exists(LogDirectory))
            {
                string kept = Path.Combine(KubeRuns.KeptLogsRoot, RunName);
                _ = Directory.CreateDirectory(KubeRuns.KeptLogsRoot);
                Directory.Move(LogDirectory, kept);
                Log($"logs kept in {kept}");
            }
            if (Directory.Exists(RunDirectory))
            {
                Directory.Delete(RunDirectory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log($"removing {RunDirectory}: {e.Message}");
        }
    }
}

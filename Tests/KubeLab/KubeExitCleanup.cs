using System.Runtime.InteropServices;

namespace Weave.KubeLab;

/// <summary>
/// Disposes the clusters still alive when the process is asked to stop (Ctrl-C, SIGTERM, SIGQUIT)
/// or exits. A kill -9 cannot be caught: the next start removes those leftovers (<see cref="KubeLeftovers"/>).
/// </summary>
internal static class KubeExitCleanup
{
    private static readonly Lock s_gate = new();
    private static readonly HashSet<KubeCluster> s_live = [];
    private static List<PosixSignalRegistration>? s_registrations;

    public static void Track(KubeCluster cluster)
    {
        lock (s_gate)
        {
            if (s_registrations is null)
            {
                s_registrations =
                [
                    PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
                    PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
                    PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal),
                ];
                AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAll();
            }
            _ = s_live.Add(cluster);
        }
    }

    public static void Untrack(KubeCluster cluster)
    {
        lock (s_gate)
        {
            _ = s_live.Remove(cluster);
        }
    }

    private static void OnSignal(PosixSignalContext context)
    {
        Console.Error.WriteLine($"weave kube lab: {context.Signal}: removing the clusters' processes, namespaces and cgroups");
        DisposeAll();
        // Not cancelled: the default action (ending the process) follows.
    }

    private static void DisposeAll()
    {
        KubeCluster[] clusters;
        lock (s_gate)
        {
            clusters = [.. s_live];
        }
        foreach (KubeCluster cluster in clusters)
        {
            cluster.Dispose();
        }
    }
}

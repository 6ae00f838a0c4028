using System.Runtime.InteropServices;

namespace Weave.Lab;

/// <summary>
/// Disposes the labs (namespace labs, Kubernetes clusters) still alive when the process is asked
/// to stop (Ctrl-C, SIGTERM, SIGQUIT) or exits. A kill -9 cannot be caught: the next run removes
/// those leftovers (<see cref="Leftovers"/>, and the Kubernetes lab's own).
/// </summary>
public static class ExitCleanup
{
    private static readonly Lock s_gate = new();
    private static readonly HashSet<IDisposable> s_live = [];
    private static List<PosixSignalRegistration>? s_registrations;

    public static void Track(IDisposable lab)
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
            _ = s_live.Add(lab);
        }
    }

    public static void Untrack(IDisposable lab)
    {
        lock (s_gate)
        {
            _ = s_live.Remove(lab);
        }
    }

    private static void OnSignal(PosixSignalContext context)
    {
        Console.Error.WriteLine($"weave lab: {context.Signal}: removing the labs' namespaces, processes and cgroups");
        DisposeAll();
        // Not cancelled: the default action (ending the process) follows.
    }

    private static void DisposeAll()
    {
        IDisposable[] labs;
        lock (s_gate)
        {
            labs = [.. s_live];
        }
        foreach (IDisposable lab in labs)
        {
            lab.Dispose();
        }
    }
}

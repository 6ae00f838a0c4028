using System.Runtime.InteropServices;

namespace Weave.Lab;

/// <summary>kill(2): .NET's Process.Kill only sends SIGKILL, and a router is stopped with SIGTERM.</summary>
public static partial class Signals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends a signal; false when the process no longer exists.</summary>
    public static bool Send(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>True while a process with this id exists (including zombies not yet reaped).</summary>
    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}

using System.Globalization;
using System.Runtime.InteropServices;
using Xunit;

namespace Weave.Tests.Linux;

/// <summary>
/// A call run on a thread of its own, which the test sees blocked in poll() before it goes on:
/// the kernel tells, in /proc/&lt;pid&gt;/task/&lt;tid&gt;/syscall, which system call a thread is
/// blocked in and with which arguments. So a test of what ends a blocked wait (a dispose, a wake)
/// tests just that, and never passes because the call failed before it got to wait.
/// </summary>
internal sealed class ThreadBlockedInPoll
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);

    private readonly Thread _thread;
    private volatile string? _syscallPath;
    private volatile Exception? _failure;
    private volatile bool _returned;

    private ThreadBlockedInPoll(Action call)
    {
        // A background thread, so that one the product never wakes fails its test, not the test run.
        _thread = new Thread(() =>
        {
            _syscallPath = "/proc/" + new FileInfo("/proc/thread-self").LinkTarget + "/syscall";
            try
            {
                call();
                _returned = true;
            }
            catch (Exception e)
            {
                _failure = e;
            }
        })
        { IsBackground = true, Name = "blocked in poll" };
    }

    /// <summary>What the call threw, once it has ended; null when it returned.</summary>
    public Exception? Failure => _failure;

    /// <summary>
    /// Runs <paramref name="call"/> on a new thread and returns once that thread is blocked in
    /// poll() on <paramref name="descriptors"/> descriptors; fails the test when the call ends
    /// first or is not blocked there within 5 s.
    /// </summary>
    public static ThreadBlockedInPoll Start(Action call, int descriptors)
    {
        var blocked = new ThreadBlockedInPoll(call);
        blocked._thread.Start();
        bool inPoll = false;
        SpinWait.SpinUntil(() => (inPoll = blocked.IsBlockedInPoll(descriptors)) || blocked.HasEnded, s_wait);
        if (!inPoll)
        {
            Assert.Fail(blocked.HasEnded
                ? $"the call ended before it blocked in poll: {(blocked._returned ? "it returned" : blocked._failure)}"
                : $"the call was not blocked in poll on {descriptors} descriptors within {s_wait.TotalSeconds} s");
        }
        return blocked;
    }

    /// <summary>Waits up to 5 s for the call to end; false when it is still blocked.</summary>
    public bool Join() => _thread.Join(s_wait);

    private bool HasEnded => _returned || _failure is not null;

    /// <summary>
    /// Whether the thread is blocked in poll or ppoll (glibc may use either) with that many
    /// descriptors. A thread that is running, or blocked in any other call, shows something else.
    /// </summary>
    private bool IsBlockedInPoll(int descriptors)
    {
        if (_syscallPath is not { } path)
        {
            return false;
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException)
        {
            return false; // the thread has exited
        }
        // "number arg1 arg2 ... sp pc", or "running", or "-1 sp pc" outside a system call.
        string[] fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 3
            && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out int number)
            && IsPoll(number)
            && fields[2] == "0x" + descriptors.ToString("x", CultureInfo.InvariantCulture);
    }

    // The system call numbers of asm/unistd.h; arm64 has ppoll only.
    private static bool IsPoll(int number) => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => number is 7 or 271,
        Architecture.Arm64 => number == 73,
        _ => throw new PlatformNotSupportedException("poll's system call number on " + RuntimeInformation.ProcessArchitecture),
    };
}

using System.Diagnostics;
using System.Globalization;

namespace Weave.Cni;

/// <summary>
/// An opt-in timing trace, for bench/cni's breakdown of a run. With <c>WEAVE_CNI_TRACE=1</c> in
/// the environment each <see cref="Mark"/> notes the end of a step on the monotonic clock that
/// <see cref="Stopwatch"/> reads, which every process shares, and <see cref="WriteTo"/> prints the
/// marks to stderr at exit as <c>weave-net trace: TIMESTAMP STEP</c>: the caller, knowing when it
/// started the plugin and when it exited, also sees the process's start and end. Off by default,
/// when a mark costs one test.
/// </summary>
public static class CniTrace
{
    public const string EnvironmentVariable = "WEAVE_CNI_TRACE";
    public const string LinePrefix = "weave-net trace: ";

    private static List<(long Timestamp, string Step)>? s_marks;

    /// <summary>Starts the trace when the environment asks for it; <paramref name="entered"/> is
    /// the timestamp taken first thing in Main.</summary>
    public static void StartIfRequested(long entered)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) == "1")
        {
            s_marks = [(entered, "process started")];
        }
    }

    /// <summary>Notes that <paramref name="step"/> ended now (from any thread: DEL's release runs on its own).</summary>
    public static void Mark(string step)
    {
        List<(long Timestamp, string Step)>? marks = s_marks;
        if (marks is null)
        {
            return;
        }
        lock (marks)
        {
            marks.Add((Stopwatch.GetTimestamp(), step));
        }
    }

    public static void WriteTo(TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stderr);
        List<(long Timestamp, string Step)>? marks = s_marks;
        if (marks is null)
        {
            return;
        }
        lock (marks)
        {
            foreach ((long timestamp, string step) in marks)
            {
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{LinePrefix}{timestamp} {step}"));
            }
        }
    }
}

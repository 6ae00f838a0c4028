using System.Globalization;
using System.Text;

namespace Weave.Lab.Soak;

/// <summary>One check of a soak: the state at that moment and what happened since the previous row.</summary>
/// <param name="FirstRss">The first router's resident memory (it is never killed, so its curve is one process's).</param>
/// <param name="OthersMaxRss">The largest of the other routers' that were up.</param>
public sealed record SoakRow(
    TimeSpan Elapsed, int Held, int Answered, int Unanswered, string Faults, int Violations,
    double FirstRss, int FirstFiles, double OthersMaxRss, int OthersMaxFiles, int RoutersUp);

/// <summary>A soak's rows, every violation, and its verdicts, printable as Markdown for bench/README.md.</summary>
public sealed class SoakReport(SoakOptions options)
{
    public SoakOptions Options { get; } = options;

    public List<SoakRow> Rows { get; } = [];

    public List<string> Violations { get; } = [];

    public int Kills { get; set; }

    public int Cuts { get; set; }

    public long Allocations { get; set; }

    public long Frees { get; set; }

    public long Unanswered { get; set; }

    /// <summary>The rings of all routers agreed after the last heal (owner and count per peer).</summary>
    public bool RingsAgreeAtEnd { get; set; }

    /// <summary>
    /// The first router's resident memory and open files from the first check after a fifth of
    /// the run (start-up and the first allocations behind it) to the last check.
    /// </summary>
    public (SoakRow From, SoakRow To)? SteadyStretch
    {
        get
        {
            SoakRow? from = Rows.FirstOrDefault(r => r.Elapsed >= Options.Duration / 5);
            return from is null || Rows.Count == 0 ? null : (from, Rows[^1]);
        }
    }

    /// <summary>Flat: the last check's resident memory within 25 % (or 10 MB) of the steady start's.</summary>
    public bool RssFlat => SteadyStretch is not { } s || s.To.FirstRss <= Math.Max(s.From.FirstRss * 1.25, s.From.FirstRss + 10);

    /// <summary>No leak: the last check's open files within 8 of the steady start's.</summary>
    public bool FilesFlat => SteadyStretch is not { } s || s.To.FirstFiles <= s.From.FirstFiles + 8;

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.Append(c, $"{Options.Routers} routers, {Options.Duration.TotalMinutes:0.#} min, seed {Options.Seed}, ")
            .Append(c, $"~{Options.HeldPerRouter} held and {Options.OperationsPerSecond} ops/s per router, a fault starts or ends every {Options.FaultEvery.TotalSeconds:0} s\n\n");
        text.Append("| t (min) | held | answered | unanswered | faults since last row | violations | host1 RSS MB | host1 fds | others' max RSS MB | others' max fds | up |\n");
        text.Append("|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (SoakRow r in Rows)
        {
            text.Append(c, $"| {r.Elapsed.TotalMinutes:0.0} | {r.Held} | {r.Answered} | {r.Unanswered} | {(r.Faults.Length == 0 ? "–" : r.Faults)} | {r.Violations} | ")
                .Append(c, $"{r.FirstRss:0.0} | {r.FirstFiles} | {r.OthersMaxRss:0.0} | {r.OthersMaxFiles} | {r.RoutersUp} |\n");
        }
        text.Append(c, $"\n{Allocations} allocations and {Frees} frees answered, {Unanswered} requests unanswered (router down or killed under them), ")
            .Append(c, $"{Kills} kills, {Cuts} link cuts. ");
        text.Append(c, $"Violations: {Violations.Count} (duplicate, lost, moved, freed-and-back or unknown allocations). ");
        text.Append(RingsAgreeAtEnd ? "Rings agree after the last heal. " : "Rings did NOT agree after the last heal. ");
        if (SteadyStretch is { } s)
        {
            text.Append(c, $"host1 from {s.From.Elapsed.TotalMinutes:0.0} to {s.To.Elapsed.TotalMinutes:0.0} min: RSS {s.From.FirstRss:0.0} → {s.To.FirstRss:0.0} MB ({(RssFlat ? "flat" : "GROWING")}), ")
                .Append(c, $"fds {s.From.FirstFiles} → {s.To.FirstFiles} ({(FilesFlat ? "flat" : "GROWING")}).");
        }
        text.Append('\n');
        foreach (string violation in Violations.Take(20))
        {
            text.Append("- ").Append(violation).Append('\n');
        }
        return text.ToString();
    }
}

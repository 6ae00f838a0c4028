using System.Globalization;
using Weave.Lab.Soak;

// bench/soak: see run.sh. Exit code 0 when the run found no violation and host1's memory and open
// files stayed flat, 1 otherwise, 2 on a bad option.
var options = new SoakOptions();
for (int i = 0; i < args.Length; i += 2)
{
    if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value))
    {
        Console.Error.WriteLine($"soak: {args[i]} needs a whole number");
        return 2;
    }
    switch (args[i])
    {
        case "--minutes":
            options = options with { Duration = TimeSpan.FromMinutes(value) };
            break;
        case "--seed":
            options = options with { Seed = value };
            break;
        case "--routers":
            options = options with { Routers = value };
            break;
        case "--held":
            options = options with { HeldPerRouter = value };
            break;
        case "--ops":
            options = options with { OperationsPerSecond = value };
            break;
        case "--fault-seconds":
            options = options with { FaultEvery = TimeSpan.FromSeconds(value) };
            break;
        case "--check-seconds":
            options = options with { CheckEvery = TimeSpan.FromSeconds(value) };
            break;
        default:
            Console.Error.WriteLine($"soak: unknown option {args[i]}");
            return 2;
    }
}
if (options.Validate() is { } error)
{
    Console.Error.WriteLine("soak: " + error);
    return 2;
}

string date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
Console.WriteLine($"soak {date}: {Environment.ProcessorCount} CPUs");
SoakReport report = await SoakRun.RunAsync(options, Console.WriteLine);
Console.WriteLine();
Console.WriteLine($"### {date} — bench/soak/run.sh --minutes {options.Duration.TotalMinutes:0} --seed {options.Seed}");
Console.WriteLine();
Console.Write(report.ToMarkdown());
return report.Violations.Count == 0 && report.RssFlat && report.FilesFlat ? 0 : 1;

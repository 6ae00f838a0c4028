using System.Diagnostics;
using System.Globalization;
using Weave.Bench.MeshScale;

// bench/mesh-scale: for each N (and each K of --clusters), a simulated mesh of N peers split into K
// clusters forms from a chain of targets, settles, and is measured: steady-state control traffic
// per peer per minute, then simulated time for everyone to agree on the topology after one join and
// after one graceful leave. Weave's design cost is computed in the same run from the same topology
// (see ScaleRun.WeaveBaseline). With several K, each N also prints its bytes per peer against K = 1.
//
//   dotnet run -c Release -- [--n 50,100,250] [--clusters 1,10] [--seed 1] [--steady-minutes 5] [--conn-limit 200] [--sparse K]
//
// Up to N = 100 the mesh is full (chain of targets + discovery); above, forming a full mesh costs
// O(N^4) bytes of topology updates today (N = 200: 9.7 GB, 9 min), so larger N run as a sparse
// mesh (discovery off, each peer targets 3 random earlier peers). --sparse 0 forces full, K > 0 sparse.
//
// MESH_SCALE_N overrides the default N list as well.

int[] sizes = [50, 100, 250, 500, 1000];
int[] clusterCounts = [1];
int seed = 1;
double steadyMinutes = 5;
int? connLimit = null;
int sparse = -1; // -1: full mesh up to FullMeshMax peers, sparse 3 above
const int FullMeshMax = 100;
if (Environment.GetEnvironmentVariable("MESH_SCALE_N") is { Length: > 0 } fromEnv)
{
    sizes = ParseList(fromEnv);
}
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--n":
            sizes = ParseList(args[i + 1]);
            break;
        case "--clusters":
            clusterCounts = ParseList(args[i + 1]);
            if (clusterCounts.Any(k => k is < 1 or > MeshClusters.MaxClusters))
            {
                Console.Error.WriteLine($"mesh-scale: --clusters takes 1 to {MeshClusters.MaxClusters}, not {args[i + 1]}");
                return 2;
            }
            break;
        case "--seed":
            seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--steady-minutes":
            steadyMinutes = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--sparse":
            sparse = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--conn-limit":
            connLimit = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        default:
            Console.Error.WriteLine($"mesh-scale: unknown option {args[i]}");
            return 2;
    }
}

Console.WriteLine($"mesh-scale {DateTime.UtcNow:yyyy-MM-dd} seed {seed}, steady state over {steadyMinutes} simulated min, N = {string.Join(", ", sizes)}, clusters = {string.Join(", ", clusterCounts)}");
var results = new List<ScaleResult>();
foreach (int n in sizes)
{
    foreach (int k in clusterCounts)
    {
        var wall = Stopwatch.StartNew();
        ScaleResult r = ScaleRun.Measure(n, k, seed, TimeSpan.FromMinutes(steadyMinutes), connLimit, sparse >= 0 ? sparse : n <= FullMeshMax ? 0 : 3);
        results.Add(r);
        Console.WriteLine($"  N={n} K={k}: done in {wall.Elapsed.TotalSeconds:0.0} s real, {GC.GetTotalMemory(false) >> 20} MB heap; {r.Notes}");
    }
}
Console.WriteLine();
ScaleReport.Print(results, Console.Out);
return 0;

static int[] ParseList(string text) =>
    text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

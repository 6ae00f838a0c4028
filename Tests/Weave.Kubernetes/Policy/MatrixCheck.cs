using System.Diagnostics;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// Probes the whole matrix and compares it with the model, again and again until they agree or
/// <see cref="Settle"/> has passed: the controller needs a moment to see a change and apply it,
/// as in upstream's e2e tests. The result is the last round's table.
/// </summary>
internal static class MatrixCheck
{
    public static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);

    public static async Task<(TruthTable Table, int Rounds, TimeSpan Took)> RunAsync(PolicyLab lab)
    {
        IReadOnlyList<ProbeCase> probes = lab.Matrix();
        ClusterState state = lab.State;
        bool[] expected = [.. probes.Select(p => SpecModel.Allows(state, p))];
        var clock = Stopwatch.StartNew();
        for (int round = 1; ; round++)
        {
            bool[] observed = await Prober.RunAsync(probes);
            var table = new TruthTable(probes, expected, observed);
            if (table.Mismatches == 0 || clock.Elapsed >= Settle)
            {
                return (table, round, clock.Elapsed);
            }
        }
    }
}

using System.Text;

namespace Weave.Kubernetes.Policy;

/// <summary>
/// Probe results against the model, drawn as upstream's truth tables: one table per port and
/// protocol, sources as rows, targets as columns. A cell is <c>.</c> when allowed and <c>X</c> when
/// denied, as observed; a cell that differs from the model is shown in brackets as the observed
/// value (<c>[.]</c>: allowed but the model denies, <c>[X]</c>: denied but the model allows).
/// </summary>
internal sealed class TruthTable(IReadOnlyList<ProbeCase> probes, bool[] expected, bool[] observed)
{
    public int Mismatches => Enumerable.Range(0, probes.Count).Count(i => expected[i] != observed[i]);

    public int AllowedByModel => expected.Count(e => e);

    public IReadOnlyList<ProbeCase> Wrong => [.. Enumerable.Range(0, probes.Count).Where(i => expected[i] != observed[i]).Select(i => probes[i])];

    public IEnumerable<string> MismatchLines =>
        Enumerable.Range(0, probes.Count).Where(i => expected[i] != observed[i])
            .Select(i => $"{probes[i]}: model {(expected[i] ? "allows" : "denies")}, observed {(observed[i] ? "allowed" : "denied")}");

    /// <summary>The tables of the columns (ports) that have a mismatch, or of all of them.</summary>
    public string Render(bool onlyMismatching = true)
    {
        var text = new StringBuilder();
        foreach (IGrouping<string, int> column in Enumerable.Range(0, probes.Count).GroupBy(i => probes[i].Column))
        {
            if (onlyMismatching && column.All(i => expected[i] == observed[i]))
            {
                continue;
            }
            string[] sources = [.. column.Select(i => probes[i].Source.ToString()).Distinct()];
            // Pods in the sources' order, then the world.
            string[] targets = [.. sources.Where(s => column.Any(i => probes[i].Target.Label == s)),
                .. column.Where(i => probes[i].Target.Pod is null).Select(i => probes[i].Target.Label).Distinct()];
            var cells = column.ToDictionary(i => (probes[i].Source.ToString(), probes[i].Target.Label));
            int width = Math.Max(5, targets.Max(t => t.Length)) + 1;
            text.Append(column.Key.PadRight(8));
            foreach (string target in targets)
            {
                text.Append(target.PadLeft(width));
            }
            text.Append('\n');
            foreach (string source in sources)
            {
                text.Append(source.PadRight(8));
                foreach (string target in targets)
                {
                    string cell = !cells.TryGetValue((source, target), out int i) ? "-"
                        : expected[i] == observed[i] ? (observed[i] ? "." : "X")
                        : observed[i] ? "[.]" : "[X]";
                    text.Append(cell.PadLeft(width));
                }
                text.Append('\n');
            }
        }
        return text.ToString();
    }
}

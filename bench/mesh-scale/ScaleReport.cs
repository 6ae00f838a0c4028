using System.Globalization;

namespace Weave.Bench.MeshScale;

/// <summary>The results table (Markdown, so it pastes into bench/README.md as is).</summary>
internal static class ScaleReport
{
    public static void Print(IReadOnlyList<ScaleResult> results, TextWriter output)
    {
        output.WriteLine("| N | clusters | mesh | formed (sim s) | join → agree (sim s) | leave → agree (sim s) | msgs/peer/min | bytes/peer/min | full topology (B) | Weave msgs/peer/min | Weave bytes/peer/min | bytes vs Weave | real s |");
        output.WriteLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ScaleResult r in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Peers} | {r.Clusters} | {r.Shape} | {r.FormTime.TotalSeconds:0.00} | {r.JoinTime.TotalSeconds:0.000} | {r.LeaveTime.TotalSeconds:0.000} | " +
                $"{r.MessagesPerPeerMinute:0.0} | {r.BytesPerPeerMinute:0} | {r.FullTopologyBytes} | {r.WeaveMessagesPerPeerMinute:0.0} | {r.WeaveBytesPerPeerMinute:0} | " +
                $"{r.BytesPerPeerMinute / r.WeaveBytesPerPeerMinute:0.0000} | {r.RealTime.TotalSeconds:0} |"));
        }
        output.WriteLine();
        output.WriteLine("full: chain of targets + discovery (every peer connected to every other); sparse k: no discovery, each peer targets k random earlier peers.");
        PrintClusterRatios(results, output);
    }

    /// <summary>For each N measured with one cluster and with more: steady-state bytes per peer with K clusters ÷ with one.</summary>
    private static void PrintClusterRatios(IReadOnlyList<ScaleResult> results, TextWriter output)
    {
        foreach (ScaleResult one in results.Where(r => r.Clusters == 1))
        {
            foreach (ScaleResult many in results.Where(r => r.Peers == one.Peers && r.Clusters > 1))
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"N={one.Peers}: steady-state bytes/peer/min, {many.Clusters} clusters ÷ 1 cluster = {many.BytesPerPeerMinute:0} ÷ {one.BytesPerPeerMinute:0} = {many.BytesPerPeerMinute / one.BytesPerPeerMinute:0.000}; " +
                    $"msgs/peer/min {many.MessagesPerPeerMinute:0.00} ÷ {one.MessagesPerPeerMinute:0.00}"));
            }
        }
    }
}

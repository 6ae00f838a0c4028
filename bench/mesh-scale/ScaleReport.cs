using System.Globalization;

namespace Weave.Bench.MeshScale;

/// <summary>The results table (Markdown, so it pastes into bench/README.md as is).</summary>
internal static class ScaleReport
{
    public static void Print(IReadOnlyList<ScaleResult> results, TextWriter output)
    {
        output.WriteLine("| N | mesh | formed (sim s) | join → agree (sim s) | leave → agree (sim s) | msgs/peer/min | bytes/peer/min | full topology (B) | Weave msgs/peer/min | Weave bytes/peer/min | bytes vs Weave | real s |");
        output.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ScaleResult r in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Peers} | {r.Shape} | {r.FormTime.TotalSeconds:0.00} | {r.JoinTime.TotalSeconds:0.000} | {r.LeaveTime.TotalSeconds:0.000} | " +
                $"{r.MessagesPerPeerMinute:0.0} | {r.BytesPerPeerMinute:0} | {r.FullTopologyBytes} | {r.WeaveMessagesPerPeerMinute:0.0} | {r.WeaveBytesPerPeerMinute:0} | " +
                $"{r.BytesPerPeerMinute / r.WeaveBytesPerPeerMinute:0.0000} | {r.RealTime.TotalSeconds:0} |"));
        }
        output.WriteLine();
        output.WriteLine("full: chain of targets + discovery (every peer connected to every other); sparse k: no discovery, each peer targets k random earlier peers.");
    }
}

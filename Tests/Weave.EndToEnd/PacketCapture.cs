using Weave.Lab;
using Xunit;

namespace Weave.EndToEnd;

/// <summary>tcpdump in a lab namespace writing a pcap file, for tests that look for bytes on the wire.</summary>
internal static class PacketCapture
{
    /// <summary>The pcap file header alone: nothing was captured.</summary>
    public const int HeaderBytes = 24;

    /// <summary>Starts capturing on <paramref name="device"/> of <paramref name="node"/> into <paramref name="path"/>; returns once tcpdump listens.</summary>
    public static LabProcess Start(LabNode node, string device, string path, params string[] filter)
    {
        // A 64 MiB capture buffer (-B, in KiB; tcpdump's default is 2 MiB): a transfer at several
        // Gbit/s on a busy machine otherwise overflows it, and the kernel drops what a test looks for.
        LabProcess tcpdump = node.Start("tcpdump", ["-i", device, "-n", "--immediate-mode", "-U", "-B", "65536", "-s", "0", "-w", path, .. filter]);
        Assert.True(Eventually.True(() => tcpdump.Output.Contains("listening on", StringComparison.Ordinal) || tcpdump.HasExited, TimeSpan.FromSeconds(10)),
            $"tcpdump did not start:\n{tcpdump.Output}");
        Assert.False(tcpdump.HasExited, tcpdump.Output);
        return tcpdump;
    }

    /// <summary>Stops the capture and returns the file's bytes.</summary>
    public static byte[] Stop(LabProcess tcpdump, string path)
    {
        ArgumentNullException.ThrowIfNull(tcpdump);
        tcpdump.Stop();
        return File.ReadAllBytes(path);
    }
}

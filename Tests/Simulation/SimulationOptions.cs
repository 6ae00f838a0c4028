using Weave.Gossip.Mesh;

namespace Weave.Simulation;

/// <summary>
/// How the simulated network behaves. The defaults model a quiet LAN: about 1 ms one way, FIFO
/// per direction like TCP, nothing lost. Loss, duplication and reordering are opt-in: TCP never
/// shows them to the mesh, but they force the protocol to rely on anti-entropy instead of luck.
/// </summary>
public sealed record SimulationOptions
{
    /// <summary>What every node is built with (shorten <see cref="MeshOptions.GossipInterval"/> to exercise anti-entropy).</summary>
    public MeshOptions Mesh { get; init; } = new();

    /// <summary>One-way delay of every message.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Extra uniform random delay in [0, Jitter) per message; with <see cref="Fifo"/> it never reorders.</summary>
    public TimeSpan Jitter { get; init; } = TimeSpan.FromMilliseconds(0.5);

    /// <summary>From <c>Dial</c> to <c>OnConnected</c> (TCP and the header/intro exchange) or <c>OnDialFailed</c>.</summary>
    public TimeSpan DialDelay { get; init; } = TimeSpan.FromMilliseconds(3);

    /// <summary>
    /// How long the survivors take to notice a crash or a partition (a reset, or a heartbeat
    /// timeout): their ends of the broken connections get <c>OnClosed</c> this long afterwards.
    /// </summary>
    public TimeSpan FailureDetectionDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Messages arrive in the order they were sent on each direction of a connection (TCP). False: each message gets its own delay.</summary>
    public bool Fifo { get; init; } = true;

    /// <summary>With <see cref="Fifo"/> off: extra uniform random delay in [0, ReorderJitter) per message, so later messages overtake earlier ones.</summary>
    public TimeSpan ReorderJitter { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Probability that a message is silently dropped (0..1).</summary>
    public double LossRate { get; init; }

    /// <summary>Probability that a delivered message is delivered a second time, a little later (0..1).</summary>
    public double DuplicationRate { get; init; }

    /// <summary>The virtual clock's start (fixed, so runs never depend on the wall clock).</summary>
    public DateTimeOffset Start { get; init; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How many of the latest trace lines are kept for a failure report (0: none; the trace hash is always kept).</summary>
    public int TraceLines { get; init; } = 64;

    /// <summary>Guard against a node whose <c>NextDeadline</c> does not move past a <c>Tick</c>: this many ticks of one node at one instant is a bug.</summary>
    public int MaxTicksPerInstant { get; init; } = 1000;

    public override string ToString() =>
        $"latency {Latency.TotalMilliseconds} ms + jitter {Jitter.TotalMilliseconds} ms, dial {DialDelay.TotalMilliseconds} ms, " +
        $"detection {FailureDetectionDelay.TotalMilliseconds} ms, {(Fifo ? "FIFO" : $"reordering (jitter {ReorderJitter.TotalMilliseconds} ms)")}, " +
        $"loss {LossRate}, duplication {DuplicationRate}, gossip interval {Mesh.GossipInterval.TotalSeconds} s, " +
        $"update delay {Mesh.UpdateDelay.TotalMilliseconds} ms, connection limit {Mesh.ConnectionLimit}, discovery {Mesh.Discovery}";
}

namespace Weave.Simulation;

/// <summary>Node <see cref="Refuser"/> refused a connection with <see cref="Remote"/> at <see cref="At"/>, saying <see cref="Reason"/> (what the router logs).</summary>
public sealed record ConnectionRefusal(int Refuser, int Remote, string Reason, DateTimeOffset At);

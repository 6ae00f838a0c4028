namespace Weave.Npc.Enforcement;

/// <summary>
/// Copies of dropped packets for the controller to log: before each drop, a rule sends the packet
/// to NFLOG group <see cref="Group"/> with its chain's name as prefix, within one limit for the
/// whole table (<see cref="PerSecond"/> packets a second, bursts of twice that), so that a flood
/// of denied packets costs the node a bounded number of log lines. The limit rule never decides
/// anything: past the limit the packet goes on to the drop.
/// </summary>
public sealed record DropLog(ushort Group, int PerSecond)
{
    /// <summary>The table's named limit object.</summary>
    public const string LimitName = "drop-log";
}

namespace Weave.Linux;

/// <summary>Settings of a bridge port to change (<see cref="RouteNetlink.SetBridgePort"/>); null
/// leaves a setting as it is.</summary>
/// <param name="Hairpin">The bridge may send a frame back out of the port it came in on.</param>
/// <param name="Learning">The bridge learns the source MACs of frames arriving on the port.</param>
/// <param name="UnicastFlood">Frames for unknown unicast MACs are flooded out of the port.</param>
/// <param name="MulticastFlood">Multicast frames with no known listener are flooded out of the port.</param>
/// <param name="BroadcastFlood">Broadcast frames are flooded out of the port.</param>
/// <param name="Isolated">The port neither sends to nor receives from another isolated port.</param>
public readonly record struct BridgePortSettings(
    bool? Hairpin = null,
    bool? Learning = null,
    bool? UnicastFlood = null,
    bool? MulticastFlood = null,
    bool? BroadcastFlood = null,
    bool? Isolated = null)
{
    /// <summary>The settings given, in bridge(8)'s words: "learning off, flood off".</summary>
    public override string ToString()
    {
        (string Name, bool? Value)[] all =
        [
            ("hairpin", Hairpin), ("learning", Learning), ("flood", UnicastFlood),
            ("mcast_flood", MulticastFlood), ("bcast_flood", BroadcastFlood), ("isolated", Isolated),
        ];
        return string.Join(", ", all.Where(s => s.Value is not null).Select(s => s.Name + (s.Value == true ? " on" : " off")));
    }
}

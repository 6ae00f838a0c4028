namespace Weave.Router.DataPlane;

/// <summary>
/// The UDP path to one neighbour, judged by heartbeats on both ports: healthy when, within the
/// timeout, we heard the neighbour on its sleeve and its VXLAN port, and it says it heard ours.
/// The peer's claim is the one of its latest heartbeat, so when it stops hearing us we know
/// within a heartbeat. One per <see cref="DataPeer"/>, so a new connection starts unheard. Timestamps are
/// <see cref="TimeProvider.GetTimestamp"/> values, 0 for never. Who writes what: the VXLAN and
/// sleeve threads the "heard" fields (volatile; two threads may both record a claim, the later
/// wins, and both are fresh); the TAP thread the sending schedule, its verdict, and the prebuilt
/// heartbeat datagrams (pinned: the Linux transport sends from them).
/// </summary>
public sealed class PathHealth(bool requireVxlan = true)
{
    /// <summary>Whether the VXLAN port counts: not between peers that seal, which use the sleeve port alone.</summary>
    public bool RequireVxlan { get; } = requireVxlan;

    /// <summary>What the TAP thread last concluded (bits of what is missing; 0 = healthy), or -1 before its first verdict.</summary>
    internal int LastMissing = -1;

    internal long NextHeartbeatDue;

    private long _heardSleeve;
    private long _heardVxlan;
    private long _lastClaimAt;   // when the peer's latest heartbeat (either port) arrived
    private int _lastClaim;      // its flags: which of our ports the peer hears now

    public const int MissingSleeve = 1;
    public const int MissingVxlan = 2;
    public const int MissingPeerHeardSleeve = 4;
    public const int MissingPeerHeardVxlan = 8;

    /// <summary>Room for a sealed heartbeat; a plaintext one uses the first <see cref="HeartbeatBody.SleeveDatagramBytes"/>.</summary>
    internal byte[] SleeveDatagram { get; } = GC.AllocateArray<byte>(HeartbeatBody.SleeveDatagramBytes + Weave.Crypto.RecordFormat.DatagramOverheadBytes, pinned: true);

    internal byte[] VxlanDatagram { get; } = GC.AllocateArray<byte>(HeartbeatBody.VxlanDatagramBytes, pinned: true);

    /// <summary>The probe we send on the kernel path (<see cref="ProbeFrame"/>).</summary>
    internal byte[] ProbeFrame { get; } = new byte[DataPlane.ProbeFrame.SizeBytes];

    public long HeardSleeveAt => Volatile.Read(ref _heardSleeve);

    public long HeardVxlanAt => Volatile.Read(ref _heardVxlan);

    internal void Heard(bool vxlan, byte flags, long now)
    {
        Volatile.Write(ref vxlan ? ref _heardVxlan : ref _heardSleeve, now);
        // The latest claim stands, so a peer that stops hearing us says so within one heartbeat.
        Volatile.Write(ref _lastClaim, flags);
        Volatile.Write(ref _lastClaimAt, now);
    }

    /// <summary>The flags our next heartbeat carries: which of the peer's ports we heard lately.</summary>
    internal byte HeardFlags(long now, long timeout) => (byte)(
        (Recent(Volatile.Read(ref _heardSleeve), now, timeout) ? HeartbeatBody.HeardSleeve : 0) |
        (Recent(Volatile.Read(ref _heardVxlan), now, timeout) ? HeartbeatBody.HeardVxlan : 0));

    /// <summary>What is missing for a healthy path (Missing* bits), 0 when healthy.</summary>
    public int Missing(long now, long timeout)
    {
        int claim = Recent(Volatile.Read(ref _lastClaimAt), now, timeout) ? Volatile.Read(ref _lastClaim) : 0;
        int missing = (Recent(Volatile.Read(ref _heardSleeve), now, timeout) ? 0 : MissingSleeve) |
            (Recent(Volatile.Read(ref _heardVxlan), now, timeout) ? 0 : MissingVxlan) |
            ((claim & HeartbeatBody.HeardSleeve) != 0 ? 0 : MissingPeerHeardSleeve) |
            ((claim & HeartbeatBody.HeardVxlan) != 0 ? 0 : MissingPeerHeardVxlan);
        return RequireVxlan ? missing : missing & ~(MissingVxlan | MissingPeerHeardVxlan);
    }

    /// <summary>Why a path with these Missing* bits is not healthy, for <c>weave status connections</c>.</summary>
    public static string Describe(int missing, DataPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var parts = new List<string>(4);
        if ((missing & MissingSleeve) != 0)
        {
            parts.Add($"none from its sleeve port {peer.SleeveEndPoint.Port}");
        }
        if ((missing & MissingVxlan) != 0)
        {
            parts.Add($"none from its VXLAN port {peer.EndPoint.Port}");
        }
        if ((missing & MissingPeerHeardSleeve) != 0)
        {
            parts.Add("ours not heard on our sleeve port");
        }
        if ((missing & MissingPeerHeardVxlan) != 0)
        {
            parts.Add("ours not heard on our VXLAN port");
        }
        return "waiting for UDP heartbeats: " + string.Join(", ", parts);
    }

    private static bool Recent(long at, long now, long timeout) => at != 0 && now - at < timeout;
}

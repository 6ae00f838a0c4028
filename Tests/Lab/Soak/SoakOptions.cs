namespace Weave.Lab.Soak;

/// <summary>
/// The shape of a soak: <see cref="Routers"/> routers in one IPAM ring, each with a client
/// allocating and freeing about <see cref="OperationsPerSecond"/> times a second around
/// <see cref="HeldPerRouter"/> held addresses; every <see cref="FaultEvery"/> a fault starts or
/// ends (a router other than the first killed with SIGKILL and later restarted, or the underlay
/// between two hosts cut and later healed); every <see cref="CheckEvery"/> the clients pause and
/// every router's allocations are compared with what was acknowledged. All choices come from
/// <see cref="Seed"/>.
/// </summary>
public sealed record SoakOptions
{
    public int Routers { get; init; } = 5;

    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(30);

    public int Seed { get; init; } = 1;

    public int HeldPerRouter { get; init; } = 100;

    public int OperationsPerSecond { get; init; } = 10;

    public TimeSpan FaultEvery { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan CheckEvery { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>What is wrong with these options, naming the setting; null when nothing is.</summary>
    public string? Validate() =>
        Routers < 2 ? "routers must be at least 2"
        : Duration <= TimeSpan.Zero ? "duration must be positive"
        : HeldPerRouter < 1 ? "held per router must be at least 1"
        : OperationsPerSecond is < 1 or > 1000 ? "operations per second must be 1 to 1000"
        : FaultEvery < TimeSpan.FromSeconds(2) ? "fault interval must be at least 2 s"
        : CheckEvery < TimeSpan.FromSeconds(5) ? "check interval must be at least 5 s"
        : null;
}

using Weave.Gossip.Mesh;
using Weave.Gossip;

namespace Weave.Router.Mesh;

/// <summary>Where a dial loop stands, for status: state, last error and when it tries again.</summary>
public sealed record TargetState(string State, string? Error, DateTimeOffset? RetryAt);

/// <summary>A peer address we keep a connection to. Its state is written by its own dial loop only.</summary>
public sealed class Target
{
    private volatile TargetState _state = new(ConnectionStates.Connecting, null, null);

    public Target(PeerAddress address) => Address = address;

    public PeerAddress Address { get; }

    public TargetState State
    {
        get => _state;
        set => _state = value;
    }
}

namespace Weave.Ipam.Store;

/// <summary>
/// Where the allocator keeps its state across restarts. Called on the allocator's loop; a save
/// must be durable when it returns (the allocator completes a result only after saving).
/// </summary>
public interface IIpamStore
{
    /// <summary>The saved state, or null when there is none. Throws <see cref="InvalidDataException"/>
    /// with a clear message when the saved state is corrupt (starting without it could hand out an address twice).</summary>
    IpamState? Load();

    void Save(IpamState state);

    /// <summary>Moves the saved state aside (it belongs to another peer name or range), keeping it for the operator.</summary>
    void SetAside(string reason);
}

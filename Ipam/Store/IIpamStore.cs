namespace Weave.Ipam.Store;

/// <summary>
/// Where the allocator keeps its state across restarts. Load and SetAside are called when the
/// allocator is made; Save by one caller at a time, on the loop or off it (group commit), and it
/// must be durable when it returns: the answers and messages of the changes it holds wait for it.
/// </summary>
public interface IIpamStore
{
    /// <summary>The saved state, or null when there is none. Throws <see cref="InvalidDataException"/>
    /// with a clear message when the saved state is corrupt (starting without it could hand out an address twice).</summary>
    IpamState? Load();

    /// <summary>
    /// Saves <paramref name="changes"/> to what was saved before. <paramref name="whole"/> gives the
    /// whole state with them in, for a store that writes it whole (at first, and to compact what
    /// it appended); it costs what the state holds, so a store calls it only then.
    /// </summary>
    void Save(IpamChanges changes, Func<IpamState> whole);

    /// <summary>Moves the saved state aside (it belongs to another peer name or range), keeping it for the operator.</summary>
    void SetAside(string reason);
}

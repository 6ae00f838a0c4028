namespace Weave.Ipam.Store;

/// <summary>
/// A store in memory, for tests and simulations: it keeps the encoded bytes, so what a restarted
/// allocator loads went through the same codec as a file (and shares nothing with the old one).
/// </summary>
public sealed class InMemoryIpamStore : IIpamStore
{
    private byte[]? _bytes;

    public int Saves { get; private set; }

    public List<string> SetAsideReasons { get; } = [];

    /// <summary>When set, the next saves throw (a full disk).</summary>
    public bool FailSaves { get; set; }

    public IpamState? Load()
    {
        if (_bytes is null)
        {
            return null;
        }
        return IpamState.TryDecode(_bytes, out IpamState? state, out string error)
            ? state
            : throw new InvalidDataException("IPAM state in memory is corrupt: " + error);
    }

    public void Save(IpamState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (FailSaves)
        {
            throw new IOException("simulated save failure");
        }
        _bytes = state.Encode();
        Saves++;
    }

    public void SetAside(string reason)
    {
        SetAsideReasons.Add(reason);
        _bytes = null;
    }

    /// <summary>Replaces the saved bytes (tests of corrupt state).</summary>
    public void Overwrite(byte[]? bytes) => _bytes = bytes;
}

using System.Buffers;
using Weave.Gossip;

namespace Weave.Ipam.Store;

/// <summary>
/// A store in memory, for tests and simulations: it keeps the bytes a file would hold, the whole
/// state and the change records appended after it (written whole again once they outgrow
/// <c>compactAfter</c> bytes), so what a restarted allocator loads went through the same codec as
/// a file (and shares nothing with the old one).
/// </summary>
public sealed class InMemoryIpamStore(int compactAfter = 4096) : IIpamStore
{
    private readonly ArrayBufferWriter<byte> _bytes = new();
    private PeerName _self;
    private int _stateBytes;
    private bool _rewrite = true;

    public int Saves { get; private set; }

    public List<string> SetAsideReasons { get; } = [];

    /// <summary>When set, the next saves throw (a full disk).</summary>
    public bool FailSaves { get; set; }

    /// <summary>The bytes a file would hold now (empty when nothing was saved).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.WrittenSpan;

    public IpamState? Load()
    {
        if (_bytes.WrittenCount == 0)
        {
            return null;
        }
        return IpamState.TryDecode(_bytes.WrittenMemory, out IpamState? state, out string error)
            ? state
            : throw new InvalidDataException("IPAM state in memory is corrupt: " + error);
    }

    public void Save(IpamChanges changes, Func<IpamState> whole)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(whole);
        if (FailSaves)
        {
            throw new IOException("simulated save failure");
        }
        if (_rewrite || _bytes.WrittenCount - _stateBytes > compactAfter)
        {
            IpamState state = whole();
            _bytes.ResetWrittenCount();
            state.Encode(_bytes);
            _self = state.Self;
            _stateBytes = _bytes.WrittenCount;
            _rewrite = false;
        }
        else if (!changes.IsEmpty)
        {
            IpamStateCodec.WriteChanges(_bytes, _self, changes);
        }
        Saves++;
    }

    public void SetAside(string reason)
    {
        SetAsideReasons.Add(reason);
        _bytes.ResetWrittenCount();
        _rewrite = true;
    }

    /// <summary>Replaces the saved bytes (tests of corrupt state); the next save writes the whole state.</summary>
    public void Overwrite(byte[]? bytes)
    {
        _bytes.ResetWrittenCount();
        _bytes.Write(bytes);
        _rewrite = true;
    }
}

using Weave.Gossip.Protocol;

namespace Weave.Simulation;

/// <summary>
/// Messages and bytes sent, per peer index and per frame tag. Bytes are wire bytes: the 4-byte
/// length, the tag and the body (<see cref="FrameOverheadBytes"/> plus the body length). Counted
/// when the node calls <c>Send</c>, before loss; sends on closed ends are not counted.
/// </summary>
public sealed class MeshCounters
{
    public const int FrameOverheadBytes = WireFormat.FrameLengthSizeBytes + WireFormat.TagSizeBytes;
    private const int Tags = 256;
    private readonly List<long[]> _messages = [];
    private readonly List<long[]> _bytes = [];
    private readonly long[] _largestBody = new long[Tags];

    public long TotalMessages { get; private set; }
    public long TotalBytes { get; private set; }
    public long Dials { get; internal set; }
    public long DialFailures { get; internal set; }
    public long Dropped { get; internal set; }
    public long Duplicated { get; internal set; }

    internal void Record(int peer, byte tag, int bodyLength)
    {
        while (_messages.Count <= peer)
        {
            _messages.Add(new long[Tags]);
            _bytes.Add(new long[Tags]);
        }
        long wire = bodyLength + FrameOverheadBytes;
        _messages[peer][tag]++;
        _bytes[peer][tag] += wire;
        _largestBody[tag] = Math.Max(_largestBody[tag], bodyLength);
        TotalMessages++;
        TotalBytes += wire;
    }

    public long MessagesSent(int peer, byte tag) => peer < _messages.Count ? _messages[peer][tag] : 0;

    public long BytesSent(int peer, byte tag) => peer < _bytes.Count ? _bytes[peer][tag] : 0;

    public long MessagesSent(int peer) => peer < _messages.Count ? _messages[peer].Sum() : 0;

    public long BytesSent(int peer) => peer < _bytes.Count ? _bytes[peer].Sum() : 0;

    public long MessagesWithTag(byte tag) => _messages.Sum(m => m[tag]);

    public long BytesWithTag(byte tag) => _bytes.Sum(b => b[tag]);

    /// <summary>The largest body sent with this tag so far (a full topology, for <see cref="FrameTag.TopologyUpdate"/> to a new neighbour).</summary>
    public long LargestBody(byte tag) => _largestBody[tag];

    /// <summary>Every counter in a fixed order, for comparing two runs.</summary>
    public IReadOnlyList<long> Snapshot()
    {
        var all = new List<long> { TotalMessages, TotalBytes, Dials, DialFailures, Dropped, Duplicated };
        for (int p = 0; p < _messages.Count; p++)
        {
            all.AddRange(_messages[p]);
            all.AddRange(_bytes[p]);
        }
        return all;
    }

    /// <summary>Per-tag totals, e.g. <c>TopologyUpdate 120 msgs 34567 B</c>, for reports.</summary>
    public string Summary()
    {
        var parts = new List<string>();
        for (int tag = 0; tag < Tags; tag++)
        {
            long messages = MessagesWithTag((byte)tag);
            if (messages > 0)
            {
                string name = Enum.IsDefined(typeof(FrameTag), (byte)tag) ? ((FrameTag)tag).ToString() : $"tag{tag}";
                parts.Add($"{name} {messages} msgs {BytesWithTag((byte)tag)} B");
            }
        }
        return $"{TotalMessages} msgs {TotalBytes} B ({string.Join(", ", parts)}); dials {Dials}, failed {DialFailures}, dropped {Dropped}, duplicated {Duplicated}";
    }
}

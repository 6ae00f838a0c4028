using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Weave.Gossip;

namespace Weave.Ipam.Store;

/// <summary>
/// The state in one file (e.g. <c>/var/lib/weave/weave-ipam.db</c>): the whole state, then the
/// changes of each save appended and synced (<see cref="StateFile"/>), so a save costs what changed,
/// not what is held. Once the appended changes outgrow the state (and 64 KiB), the next save writes
/// the whole state again: a temporary file beside it, flushed to disk, renamed over the old one,
/// then the directory synced, so a crash at any point leaves the old file or the new one, never a
/// mix. A crash during an append leaves at most that record cut short, which was never
/// acknowledged and is left out when the file is read. .NET cannot open a directory to fsync it,
/// so the host passes <c>syncDirectory</c> (the router's <c>Linux.DirectorySync</c>); without it,
/// a rename is durable only once the kernel flushes the directory (seconds on ext4).
/// </summary>
public sealed class FileIpamStore(string path, Action<string>? syncDirectory = null, TimeProvider? time = null) : IIpamStore
{
    private const int MinAppendedBeforeCompaction = 64 * 1024;

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private PeerName _self;
    private long _stateBytes;
    private long _end;

    /// <summary>
    /// The next save writes the whole state: there is no file yet, it is in an older format, it
    /// ends in a record cut short, or an append failed (and may have left part of a record).
    /// </summary>
    private bool _rewrite = true;

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Whole-state writes so far (appends are the other saves).</summary>
    public int Rewrites { get; private set; }

    public IpamState? Load()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(Path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        if (!IpamState.TryDecode(bytes, out IpamState? state, out int validLength, out string error))
        {
            throw new InvalidDataException($"IPAM data file {Path} is corrupt ({error}). Starting without it could hand out " +
                "addresses already in use: restore it, or if no pods on this host use addresses from it, move it away and restart");
        }
        _self = state.Self;
        _end = validLength;
        _rewrite = state.FormatVersion != IpamState.CurrentFormatVersion || validLength != bytes.Length;
        _stateBytes = _rewrite ? validLength : StateFile.StateFrameLength(bytes);
        return state;
    }

    public void Save(IpamChanges changes, Func<IpamState> whole)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(whole);
        if (_rewrite || _end - _stateBytes > Math.Max(MinAppendedBeforeCompaction, _stateBytes))
        {
            Rewrite(whole());
            return;
        }
        if (changes.IsEmpty)
        {
            return;
        }
        _buffer.ResetWrittenCount();
        IpamStateCodec.WriteChanges(_buffer, _self, changes);
        bool appended = false;
        try
        {
            using SafeFileHandle file = File.OpenHandle(Path, FileMode.Open, FileAccess.Write);
            RandomAccess.Write(file, _buffer.WrittenSpan, _end);
            RandomAccess.FlushToDisk(file);
            appended = true;
        }
        finally
        {
            // A failed append may have left part of a record, which a later, shorter one would not cover.
            _rewrite = !appended;
        }
        _end += _buffer.WrittenCount;
    }

    private void Rewrite(IpamState state)
    {
        _buffer.ResetWrittenCount();
        state.Encode(_buffer);
        string directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        string temp = Path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(_buffer.WrittenSpan);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, Path, overwrite: true);
        syncDirectory?.Invoke(directory);
        _self = state.Self;
        _stateBytes = _end = _buffer.WrittenCount;
        _rewrite = false;
        Rewrites++;
    }

    public void SetAside(string reason)
    {
        _rewrite = true;
        if (!File.Exists(Path))
        {
            return;
        }
        string stamp = (time ?? TimeProvider.System).GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        string aside = $"{Path}.discarded-{stamp}";
        File.Move(Path, aside, overwrite: true);
        syncDirectory?.Invoke(System.IO.Path.GetDirectoryName(Path)!);
    }
}

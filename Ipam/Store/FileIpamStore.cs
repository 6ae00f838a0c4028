namespace Weave.Ipam.Store;

/// <summary>
/// The state in one file (e.g. <c>/var/lib/weave/weave-ipam.db</c>). A save writes a temporary file
/// beside it, flushes it to disk, renames it over the old one and then syncs the directory, so a
/// crash at any point leaves the old or the new state, never a torn one. .NET cannot open a
/// directory to fsync it, so the host passes <c>syncDirectory</c> (the router's
/// <c>Linux.DirectorySync</c>); without it, the rename is durable only once the kernel flushes the
/// directory (seconds on ext4).
/// </summary>
public sealed class FileIpamStore(string path, Action<string>? syncDirectory = null, TimeProvider? time = null) : IIpamStore
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

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
        return IpamState.TryDecode(bytes, out IpamState? state, out string error)
            ? state
            : throw new InvalidDataException($"IPAM data file {Path} is corrupt ({error}). Starting without it could hand out " +
                "addresses already in use: restore it, or if no pods on this host use addresses from it, move it away and restart");
    }

    public void Save(IpamState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        byte[] bytes = state.Encode();
        string directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        string temp = Path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, Path, overwrite: true);
        syncDirectory?.Invoke(directory);
    }

    public void SetAside(string reason)
    {
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

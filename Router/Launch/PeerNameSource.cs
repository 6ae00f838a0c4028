using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Weave.Gossip;
using Weave.Linux;

namespace Weave.Router.Launch;

/// <summary>Where this run's peer name came from (for the log line at start).</summary>
public enum PeerNameOrigin
{
    /// <summary><c>--name</c>.</summary>
    Flag,

    /// <summary><c>&lt;data-dir&gt;/peer-name</c>, written by an earlier start.</summary>
    File,

    /// <summary>Derived from /etc/machine-id (and saved to the data directory).</summary>
    MachineId,

    /// <summary>Random, for want of a machine-id (and saved to the data directory).</summary>
    Random,
}

public readonly record struct PeerNameChoice(PeerName Name, PeerNameOrigin Origin);

/// <summary>
/// Chooses the router's peer name so that it stays the same across restarts of one machine:
/// <c>--name</c>; else the name saved in <c>&lt;data-dir&gt;/peer-name</c>; else one derived from
/// /etc/machine-id; else a random one. A derived or random name is saved, so the next start reads
/// it back (and a later change of machine-id does not rename the peer).
/// </summary>
public sealed class PeerNameSource
{
    public const string FileName = "peer-name";
    public const string DefaultMachineIdPath = "/etc/machine-id";

    /// <summary>Mixed into the machine-id's hash, so the name reveals nothing of the machine-id and differs from other products' derivations.</summary>
    private static readonly byte[] s_salt = "weave-net peer name v1\n"u8.ToArray();

    private readonly IIdentityFiles _files;
    private readonly string _machineIdPath;
    private readonly Random _random;

    public PeerNameSource(IIdentityFiles files, string machineIdPath, Random random)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentException.ThrowIfNullOrEmpty(machineIdPath);
        ArgumentNullException.ThrowIfNull(random);
        _files = files;
        _machineIdPath = machineIdPath;
        _random = random;
    }

    /// <summary>The real file system and /etc/machine-id.</summary>
    public static PeerNameSource ForThisMachine() => new(IdentityFiles.Instance, DefaultMachineIdPath, Random.Shared);

    /// <summary>The peer name for this run; <paramref name="given"/> is <c>--name</c>.</summary>
    /// <exception cref="LaunchException">The saved name is unreadable or corrupt, or a new one cannot be saved; the message names the file.</exception>
    public PeerNameChoice Resolve(PeerName? given, string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        if (given is { } flag)
        {
            return new PeerNameChoice(flag, PeerNameOrigin.Flag);
        }
        string path = Path.Combine(dataDirectory, FileName);
        if (ReadSaved(path) is { } saved)
        {
            return new PeerNameChoice(saved, PeerNameOrigin.File);
        }
        PeerNameChoice chosen = ReadMachineId() is { } machineId
            ? new PeerNameChoice(FromMachineId(machineId), PeerNameOrigin.MachineId)
            : new PeerNameChoice(PeerName.Random(_random), PeerNameOrigin.Random);
        try
        {
            _files.WriteDurably(path, chosen.Name + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LaunchException($"cannot save the peer name to {path}: {e.Message} (run as root, choose another --data-dir, or give --name)", e);
        }
        return chosen;
    }

    /// <summary>
    /// The first 6 bytes of SHA-256(salt ‖ machine-id), multicast bit cleared and
    /// locally-administered bit set, so the name is also a valid unicast MAC for the bridge.
    /// </summary>
    public static PeerName FromMachineId(string machineId)
    {
        ArgumentException.ThrowIfNullOrEmpty(machineId);
        byte[] id = Encoding.ASCII.GetBytes(machineId.Trim().ToLowerInvariant());
        byte[] input = [.. s_salt, .. id];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        hash[0] = (byte)((hash[0] & 0xFE) | 0x02);
        return PeerName.FromBytes(hash[..PeerName.SizeBytes]);
    }

    private PeerName? ReadSaved(string path)
    {
        string? text;
        try
        {
            text = _files.ReadText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new LaunchException($"cannot read the saved peer name {path}: {e.Message}", e);
        }
        if (text is null)
        {
            return null;
        }
        if (!PeerName.TryParse(text.Trim(), out PeerName name, out string error))
        {
            throw new LaunchException(error == PeerName.MalformedError
                ? $"corrupt peer name file {path}: expected a name like 5e:1a:00:00:00:01, found {Quote(text)} (fix or delete the file, or give --name)"
                : $"unusable peer name in {path}: {error} (delete the file to have a name derived from {_machineIdPath}, or give --name)");
        }
        return name;
    }

    /// <summary>The machine-id when it is one (32 hex digits); systemd writes "uninitialized" during first boot.</summary>
    private string? ReadMachineId()
    {
        string? text;
        try
        {
            text = _files.ReadText(_machineIdPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        string? id = text?.Trim();
        return id is { Length: 32 } && id.All(char.IsAsciiHexDigit) ? id : null;
    }

    /// <summary>At most 40 characters of the file, control characters shown as '?', so the error stays one line.</summary>
    private static string Quote(string text)
    {
        string shown = text.Trim();
        bool cut = shown.Length > 40;
        var quoted = new StringBuilder("'");
        foreach (char c in cut ? shown[..40] : shown)
        {
            quoted.Append(char.IsControl(c) ? '?' : c);
        }
        quoted.Append(cut ? "...'" : "'");
        return shown.Length == 0 ? "an empty file" : quoted.ToString();
    }
}

/// <summary>The files the peer name lives in; a seam so tests need no real /etc or /var.</summary>
public interface IIdentityFiles
{
    /// <summary>The file's text, or null when it does not exist.</summary>
    /// <exception cref="IOException">It exists but cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">It exists but cannot be read.</exception>
    string? ReadText(string path);

    /// <summary>
    /// Replaces the file so that a crash leaves the old or the new content, never a torn one:
    /// writes a temporary file beside it, syncs it, renames it over the file, syncs the directory.
    /// Creates the directory (mode 0700) when missing.
    /// </summary>
    void WriteDurably(string path, string contents);
}

/// <summary>The real file system.</summary>
public sealed class IdentityFiles : IIdentityFiles
{
    public static readonly IdentityFiles Instance = new();

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private IdentityFiles()
    {
    }

    public string? ReadText(string path)
    {
        if (Directory.Exists(path))
        {
            throw new IOException("it is a directory, not a file");
        }
        try
        {
            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public void WriteDurably(string path, string contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(contents);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the router runs on Linux");
        }
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
        {
            _ = Directory.CreateDirectory(directory, DirectoryMode);
        }
        string temporary = Path.Combine(directory,
            string.Create(CultureInfo.InvariantCulture, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp"));
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = FileMode0644,
            };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(contents));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        DirectorySync.Flush(directory);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original error matters more.
        }
    }
}

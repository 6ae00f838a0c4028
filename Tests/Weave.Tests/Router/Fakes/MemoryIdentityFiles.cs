using Weave.Router.Launch;

namespace Weave.Tests.Router.Fakes;

/// <summary>An in-memory file system for <see cref="PeerNameSource"/>: files by path, failures on demand.</summary>
internal sealed class MemoryIdentityFiles : IIdentityFiles
{
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    /// <summary>Paths whose read throws this exception.</summary>
    public Dictionary<string, Exception> ReadFailures { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, every write throws it.</summary>
    public Exception? WriteFailure { get; set; }

    public List<string> Writes { get; } = [];

    public string? ReadText(string path)
    {
        if (ReadFailures.TryGetValue(path, out Exception? failure))
        {
            throw failure;
        }
        return Files.GetValueOrDefault(path);
    }

    public void WriteDurably(string path, string contents)
    {
        if (WriteFailure is not null)
        {
            throw WriteFailure;
        }
        Writes.Add(path);
        Files[path] = contents;
    }
}

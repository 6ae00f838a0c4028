using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Weave.KubeLab;

/// <summary>
/// Writes a one-layer image as a docker-archive (what <c>docker save</c> makes and
/// <c>ctr images import</c> reads): <c>manifest.json</c>, the config <c>&lt;sha&gt;.json</c> and
/// <c>&lt;sha&gt;/layer.tar</c>. The layer is uncompressed and reproducible: owner root, time 0.
/// </summary>
internal static class DockerArchive
{
    private const string Epoch = "1970-01-01T00:00:00Z";

    /// <summary>
    /// Writes the image to <paramref name="path"/> (through a temporary file, so a reader never sees
    /// half an archive). <paramref name="fillLayer"/> adds the root file system's entries.
    /// </summary>
    public static void Write(string path, string reference, JsonObject runConfig, Action<TarWriter> fillLayer)
    {
        using var layer = new MemoryStream();
        using (var writer = new TarWriter(layer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            fillLayer(writer);
        }
        string layerDigest = Sha256(layer.GetBuffer().AsSpan(0, (int)layer.Length));
        runConfig["WorkingDir"] ??= "/";
        var config = new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["created"] = Epoch,
            ["config"] = runConfig,
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray("sha256:" + layerDigest) },
            ["history"] = new JsonArray(new JsonObject { ["created"] = Epoch, ["created_by"] = "Weave.KubeLab" }),
        };
        byte[] configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        string configName = Sha256(configBytes) + ".json";
        string layerName = layerDigest + "/layer.tar";
        var manifest = new JsonArray(new JsonObject
        {
            ["Config"] = configName,
            ["RepoTags"] = new JsonArray(reference),
            ["Layers"] = new JsonArray(layerName),
        });

        string temporary = path + ".tmp" + Environment.ProcessId;
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            using (var archive = new TarWriter(file, TarEntryFormat.Ustar))
            {
                AddFile(archive, "manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString()));
                AddFile(archive, configName, configBytes);
                layer.Position = 0;
                archive.WriteEntry(Entry(TarEntryType.RegularFile, layerName, Mode("644"), layer));
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public static void AddDirectory(TarWriter layer, string name, UnixFileMode mode) =>
        layer.WriteEntry(Entry(TarEntryType.Directory, name.TrimEnd('/') + "/", mode, null));

    public static void AddFile(TarWriter layer, string name, byte[] content, UnixFileMode? mode = null)
    {
        using var data = new MemoryStream(content);
        layer.WriteEntry(Entry(TarEntryType.RegularFile, name, mode ?? Mode("644"), data));
    }

    public static void AddSymlink(TarWriter layer, string name, string target)
    {
        UstarTarEntry entry = Entry(TarEntryType.SymbolicLink, name, Mode("777"), null);
        entry.LinkName = target;
        layer.WriteEntry(entry);
    }

    /// <summary>A mode written as chmod takes it, e.g. "1777".</summary>
    public static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static UstarTarEntry Entry(TarEntryType type, string name, UnixFileMode mode, Stream? data)
    {
        var entry = new UstarTarEntry(type, name)
        {
            Mode = mode,
            Uid = 0,
            Gid = 0,
            ModificationTime = DateTimeOffset.UnixEpoch,
        };
        if (data is not null)
        {
            entry.DataStream = data;
        }
        return entry;
    }
}

using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;

namespace Weave.Kubernetes;

/// <summary>docker-archive files as <c>./build.sh image</c> writes them.</summary>
internal static class ImageArchive
{
    /// <summary>
    /// A copy of <paramref name="source"/> whose image is tagged <paramref name="reference"/>
    /// instead: the same image under a new tag, as an upgrade to a new version would bring.
    /// </summary>
    public static void Retag(string source, string target, string reference)
    {
        using FileStream input = File.OpenRead(source);
        using var reader = new TarReader(input);
        using FileStream output = File.Create(target);
        using var writer = new TarWriter(output, TarEntryFormat.Pax);
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            if (entry.Name is "manifest.json" or "repositories" && entry.DataStream is { } data)
            {
                using var text = new StreamReader(data);
                JsonNode json = JsonNode.Parse(text.ReadToEnd())!;
                byte[] changed = Encoding.UTF8.GetBytes((entry.Name == "manifest.json" ? Manifest(json, reference) : Repositories(reference)).ToJsonString());
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entry.Name) { DataStream = new MemoryStream(changed), Mode = entry.Mode });
                continue;
            }
            writer.WriteEntry(entry);
        }
    }

    private static JsonNode Manifest(JsonNode manifest, string reference)
    {
        foreach (JsonNode? image in manifest.AsArray())
        {
            image!["RepoTags"] = new JsonArray(reference);
        }
        return manifest;
    }

    private static JsonObject Repositories(string reference)
    {
        int colon = reference.LastIndexOf(':');
        return new JsonObject { [reference[..colon]] = new JsonObject() };
    }

    /// <summary>The tag inside an archive.</summary>
    public static string TagOf(string archive)
    {
        using FileStream input = File.OpenRead(archive);
        using var reader = new TarReader(input);
        while (reader.GetNextEntry(copyData: true) is { } entry)
        {
            if (entry.Name == "manifest.json" && entry.DataStream is { } data)
            {
                using var text = new StreamReader(data);
                return JsonNode.Parse(text.ReadToEnd())![0]!["RepoTags"]![0]!.GetValue<string>();
            }
        }
        throw new InvalidDataException($"{archive} has no manifest.json: not a docker-archive");
    }
}

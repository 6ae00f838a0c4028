using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Weave.Npc;

/// <summary>
/// Deserializing an API object without throwing: its size is checked first, and a failure is a
/// reason naming the object (namespace/name, when the JSON is well-formed enough to say) and
/// the JSON path of the field that did not fit.
/// </summary>
internal static class ObjectJson
{
    private const int MaxMessageLength = 300;

    /// <summary>From the API's shape of an object to ours, or a reason naming it and the field.</summary>
    public delegate bool TryConvert<TJson, T>(TJson dto, [NotNullWhen(true)] out T? value, out string reason);

    public static bool TryParse<TJson, T>(ReadOnlySpan<byte> json, JsonTypeInfo<TJson> info, string kind, TryConvert<TJson, T> convert,
        [NotNullWhen(true)] out T? value, out string reason)
        where TJson : class
        where T : class
    {
        value = null;
        return TryDeserialize(json, info, kind, out TJson? dto, out reason) && convert(dto, out value, out reason);
    }

    public static bool TryParse<TJson, T>(JsonElement json, JsonTypeInfo<TJson> info, string kind, TryConvert<TJson, T> convert,
        [NotNullWhen(true)] out T? value, out string reason)
        where TJson : class
        where T : class
    {
        value = null;
        return TryDeserialize(json, info, kind, out TJson? dto, out reason) && convert(dto, out value, out reason);
    }

    private static bool TryDeserialize<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> info, string kind, [NotNullWhen(true)] out T? value, out string reason)
        where T : class
    {
        value = null;
        if (json.Length > ParseLimits.MaxObjectBytes)
        {
            reason = $"{kind} of {json.Length} bytes: over the limit of {ParseLimits.MaxObjectBytes}";
            return false;
        }
        try
        {
            value = JsonSerializer.Deserialize(json, info);
        }
        catch (JsonException e)
        {
            reason = $"{kind} {NameIn(json)}: malformed: {Shorten(e.Message)}";
            return false;
        }
        return NotNull(value, kind, out reason);
    }

    /// <summary>An object of a list or a watch event, already read (and bounded) by whoever read the stream.</summary>
    private static bool TryDeserialize<T>(JsonElement json, JsonTypeInfo<T> info, string kind, [NotNullWhen(true)] out T? value, out string reason)
        where T : class
    {
        value = null;
        try
        {
            value = json.Deserialize(info);
        }
        // InvalidOperationException: a default JsonElement, one of no document.
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            reason = $"{kind} {NameIn(json)}: malformed: {Shorten(e.Message)}";
            return false;
        }
        return NotNull(value, kind, out reason);
    }

    /// <summary>The object's namespace/name (its name when not <paramref name="namespaced"/>) for a message, as far as the JSON says it.</summary>
    public static string Name(string? ns, string? name, bool namespaced) =>
        namespaced ? $"{Part(ns, "(no namespace)")}/{Part(name, "(unnamed)")}" : Part(name, "(unnamed)");

    private static string Part(string? value, string missing) => value is null ? missing : Quote(value);

    /// <summary>A value from the input for a message: bounded, and visibly quoted when empty or odd.</summary>
    public static string Quote(string value) =>
        value.Length > 64 ? $"\"{value[..64]}…\"" : value.Length == 0 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) ? $"\"{value}\"" : value;

    private static bool NotNull<T>([NotNullWhen(true)] T? value, string kind, out string reason)
    {
        reason = value is null ? $"{kind}: null instead of an object" : "";
        return value is not null;
    }

    private static string NameIn(ReadOnlySpan<byte> json)
    {
        try
        {
            var options = new JsonDocumentOptions { MaxDepth = ParseLimits.MaxJsonDepth };
            using JsonDocument document = JsonDocument.Parse(json.ToArray(), options);
            return NameIn(document.RootElement);
        }
        catch (JsonException)
        {
            return "(unnamed)";
        }
    }

    private static string NameIn(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("metadata", out JsonElement metadata) || metadata.ValueKind != JsonValueKind.Object)
        {
            return "(unnamed)";
        }
        string? ns = StringIn(metadata, "namespace");
        return Name(ns, StringIn(metadata, "name"), namespaced: ns is not null);
    }

    /// <summary>Null also for a string that is not valid UTF-8, which a JsonDocument finds only when asked for it.</summary>
    private static string? StringIn(JsonElement json, string property)
    {
        try
        {
            return json.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static string Shorten(string message) => message.Length <= MaxMessageLength ? message : message[..MaxMessageLength] + "…";
}

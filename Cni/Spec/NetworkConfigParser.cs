using System.Text.Json;

namespace Weave.Cni.Spec;

/// <summary>
/// Reads and checks the network configuration from stdin: bytes that are not JSON are a decode
/// failure (code 6); JSON of the wrong shape, a missing name or version, an MTU out of range are
/// an invalid config (code 7, naming the key); a version we do not speak is code 1; settings Weave
/// refused (<c>isGateway</c>, <c>ipMasq</c>, a delegated <c>ipam</c>) are code 2.
/// </summary>
public static class NetworkConfigParser
{
    /// <summary>Largest configuration read (a prevResult or a GC attachment list can be long).</summary>
    public const int MaxConfigBytes = 4 * 1024 * 1024;

    public const int MinMtu = 576;
    public const int MaxMtu = 65535;

    private static readonly JsonDocumentOptions s_documentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    /// <exception cref="CniException">With the code and a message naming what is wrong.</exception>
    public static NetworkConfig Parse(ReadOnlySpan<byte> stdin)
    {
        if (stdin.Length > MaxConfigBytes)
        {
            throw new CniException(CniErrorCode.DecodeFailure, $"the network configuration on stdin is larger than {MaxConfigBytes} bytes");
        }
        if (stdin.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new CniException(CniErrorCode.DecodeFailure, "stdin is empty: expected the network configuration as JSON");
        }
        using JsonDocument document = ParseDocument(stdin);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new CniException(CniErrorCode.InvalidConfig, $"the network configuration must be a JSON object, not {document.RootElement.ValueKind}");
        }
        NetworkConfig config;
        try
        {
            config = document.RootElement.Deserialize(CniJsonContext.Default.NetworkConfig)
                ?? throw new CniException(CniErrorCode.InvalidConfig, "the network configuration is null");
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.InvalidConfig, $"invalid network configuration: {Key(e.Path)} has the wrong type{Expected(e.Message)}");
        }
        Validate(config);
        return config;
    }

    /// <summary>Parses only the version, for VERSION: tolerant of an empty or partial configuration.</summary>
    public static string? TryReadVersion(ReadOnlySpan<byte> stdin)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(stdin.ToArray(), s_documentOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                document.RootElement.TryGetProperty("cniVersion", out JsonElement version) && version.ValueKind == JsonValueKind.String
                ? version.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonDocument ParseDocument(ReadOnlySpan<byte> stdin)
    {
        try
        {
            return JsonDocument.Parse(stdin.ToArray(), s_documentOptions);
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.DecodeFailure, $"the network configuration on stdin is not valid JSON: {FirstSentence(e.Message)}");
        }
    }

    private static void Validate(NetworkConfig config)
    {
        if (string.IsNullOrEmpty(config.CniVersion))
        {
            throw new CniException(CniErrorCode.InvalidConfig, "the network configuration has no cniVersion");
        }
        if (!CniVersion.IsSupported(config.CniVersion))
        {
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"cniVersion '{CniEnvironment.Shorten(config.CniVersion)}' is not supported (supported: {string.Join(", ", CniVersion.Supported)})");
        }
        if (string.IsNullOrEmpty(config.Name))
        {
            throw new CniException(CniErrorCode.InvalidConfig, "the network configuration has no name");
        }
        if (!CniEnvironment.IsValidContainerId(config.Name))
        {
            throw new CniException(CniErrorCode.InvalidConfig,
                $"network name '{CniEnvironment.Shorten(config.Name)}' is invalid: letters, digits, '_', '.' and '-', starting with a letter or digit");
        }
        if (config.Mtu is int mtu && mtu is < MinMtu or > MaxMtu)
        {
            throw new CniException(CniErrorCode.InvalidConfig, $"mtu {mtu} is out of range ({MinMtu} to {MaxMtu})");
        }
        if (config.IsGateway == true)
        {
            throw new CniException(CniErrorCode.UnsupportedField, "isGateway is not supported: the bridge weave's address is the pods' gateway");
        }
        if (config.IpMasq == true)
        {
            throw new CniException(CniErrorCode.UnsupportedField, "ipMasq is not supported: weave-net does not masquerade pod traffic");
        }
        if (config.Ipam is { ValueKind: JsonValueKind.Object } ipam && ipam.TryGetProperty("type", out _))
        {
            throw new CniException(CniErrorCode.UnsupportedField, "ipam delegation is not supported: addresses come from the weave router");
        }
        if (config.RouterAddress is not null && !RouterApi.RouterEndpoint.TryParse(config.RouterAddress, out _))
        {
            throw new CniException(CniErrorCode.InvalidConfig, $"routerAddress '{CniEnvironment.Shorten(config.RouterAddress)}' is not host:port with an IP address");
        }
    }

    /// <summary>"$.mtu" → "'mtu'"; "$['cni.dev/attachments'][0].ifname" stays as the path.</summary>
    private static string Key(string? path) =>
        path is null || path == "$" ? "the configuration" : "'" + (path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path) + "'";

    /// <summary>" (expected Int32)" from the serializer's "could not be converted to System.Nullable`1[System.Int32]".</summary>
    private static string Expected(string message)
    {
        const string Marker = "could not be converted to ";
        int at = message.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return "";
        }
        string type = message[(at + Marker.Length)..].Split(". ", 2)[0].TrimEnd('.');
        type = type.Replace("System.Nullable`1[", "", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal);
        type = type.Replace("System.Collections.Generic.List`1[", "list of ", StringComparison.Ordinal).Replace("System.", "", StringComparison.Ordinal);
        type = type.Replace("Weave.Cni.Spec.", "", StringComparison.Ordinal);
        return $" (expected {type})";
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}

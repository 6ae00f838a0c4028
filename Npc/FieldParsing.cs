using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Weave.Npc;

/// <summary>
/// The checks of single fields the parsers share. Each says what is wrong as
/// <c>field: problem</c>, and the parser puts the object's kind and name in front.
/// </summary>
internal static class FieldParsing
{
    public delegate bool TryParseItem<TJson, TItem>(TJson json, string field, [NotNullWhen(true)] out TItem? item, out string problem);

    /// <summary>
    /// A list of at most <paramref name="limit"/> <paramref name="noun"/>, each parsed as
    /// <c>field[i]</c>; absent is empty (the API does not tell an absent list from an empty one).
    /// </summary>
    public static bool TryList<TJson, TItem>(List<TJson>? json, string field, int limit, string noun, TryParseItem<TJson, TItem> parse,
        out ImmutableArray<TItem> items, out string problem)
    {
        items = [];
        problem = "";
        if (json is null)
        {
            return true;
        }
        if (json.Count > limit)
        {
            problem = $"{field}: {json.Count} {noun}, over the limit of {limit}";
            return false;
        }
        var builder = ImmutableArray.CreateBuilder<TItem>(json.Count);
        for (int i = 0; i < json.Count; i++)
        {
            if (!parse(json[i], $"{field}[{i}]", out TItem? item, out problem))
            {
                return false;
            }
            builder.Add(item);
        }
        items = builder.MoveToImmutable();
        return true;
    }

    /// <summary>metadata.namespace and metadata.name, both required.</summary>
    public static bool TryNamespacedName(Api.ObjectMetaJson? meta, [NotNullWhen(true)] out string? ns, [NotNullWhen(true)] out string? name, out string problem)
    {
        name = null;
        return TryName(meta?.Namespace, "metadata.namespace", out ns, out problem) && TryName(meta!.Name, "metadata.name", out name, out problem);
    }

    public static bool TryName(string? value, string field, [NotNullWhen(true)] out string? name, out string problem)
    {
        name = value;
        problem = string.IsNullOrEmpty(value) ? $"{field}: missing"
            : value.Length > ParseLimits.MaxNameLength ? $"{field}: longer than {ParseLimits.MaxNameLength} characters"
            : "";
        return problem.Length == 0;
    }

    public static bool TryLabels(Dictionary<string, string>? json, string field, out ImmutableSortedDictionary<string, string> labels, out string problem)
    {
        labels = Labels.None;
        problem = "";
        if (json is null || json.Count == 0)
        {
            return true;
        }
        if (json.Count > ParseLimits.MaxLabels)
        {
            problem = $"{field}: {json.Count} labels, over the limit of {ParseLimits.MaxLabels}";
            return false;
        }
        foreach ((string key, string value) in json)
        {
            if (!TryLabelKey(key, field, out problem))
            {
                return false;
            }
            if (value is null || value.Length > ParseLimits.MaxLabelValueLength)
            {
                problem = $"{field}.{ObjectJson.Quote(key)}: {(value is null ? "null" : $"a value longer than {ParseLimits.MaxLabelValueLength} characters")}";
                return false;
            }
        }
        labels = Labels.Of(json);
        return true;
    }

    public static bool TryLabelKey(string? key, string field, out string problem)
    {
        problem = string.IsNullOrEmpty(key) ? $"{field}: an empty label key"
            : key.Length > ParseLimits.MaxLabelKeyLength ? $"{field}: a label key longer than {ParseLimits.MaxLabelKeyLength} characters"
            : "";
        return problem.Length == 0;
    }

    /// <summary>TCP when absent; the API spells them in capitals only.</summary>
    public static bool TryProtocol(string? value, string field, out PortProtocol protocol, out string problem)
    {
        problem = "";
        switch (value)
        {
            case null or "TCP":
                protocol = PortProtocol.Tcp;
                return true;
            case "UDP":
                protocol = PortProtocol.Udp;
                return true;
            case "SCTP":
                protocol = PortProtocol.Sctp;
                return true;
            default:
                protocol = default;
                problem = $"{field}: unknown protocol {ObjectJson.Quote(value)} (TCP, UDP or SCTP)";
                return false;
        }
    }

    public static bool TryPortNumber(long value, string field, out string problem)
    {
        problem = value is >= 1 and <= 65535 ? "" : $"{field}: port {value} out of range 1-65535";
        return problem.Length == 0;
    }

    /// <summary>An IANA service name, as Kubernetes requires of named ports: up to 15 of a-z, 0-9 and '-', a letter among them, no '-' at either end nor two together.</summary>
    public static bool TryPortName(string value, string field, out string problem)
    {
        bool valid = value.Length is >= 1 and <= ParseLimits.MaxPortNameLength
            && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
            && value.Any(c => c is >= 'a' and <= 'z')
            && value[0] != '-' && value[^1] != '-' && !value.Contains("--", StringComparison.Ordinal);
        problem = valid ? "" : $"{field}: {ObjectJson.Quote(value)} is not a port name (an IANA service name)";
        return valid;
    }

    /// <summary>An address as <see cref="StrictAddress"/> takes it, or a problem naming the field.</summary>
    public static bool TryAddress(string? value, string field, [NotNullWhen(true)] out IPAddress? address, out string problem)
    {
        problem = StrictAddress.TryParse(value, out address) ? ""
            : $"{field}: {(value is null ? "missing" : ObjectJson.Quote(value) + " is not an IP address")}";
        return address is not null;
    }

    /// <summary>
    /// A CIDR. Host bits past the prefix are cleared, not refused: the API server accepts
    /// "10.0.0.1/8" (it parses CIDRs leniently) and means 10.0.0.0/8 by it.
    /// </summary>
    public static bool TryCidr(string? value, string field, out IPNetwork network, out string problem)
    {
        network = default;
        int slash = value?.LastIndexOf('/') ?? -1;
        if (value is null || slash < 0 || !TryAddress(value[..slash], field, out IPAddress? address, out _)
            || !int.TryParse(value.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out int prefix)
            || prefix > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
        {
            problem = $"{field}: {(value is null ? "missing" : ObjectJson.Quote(value) + " is not a CIDR")}";
            return false;
        }
        byte[] bytes = address.GetAddressBytes();
        for (int bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }
        network = new IPNetwork(new IPAddress(bytes), prefix);
        problem = "";
        return true;
    }
}

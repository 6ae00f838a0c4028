using System.Globalization;
using System.Buffers;
using MessagePack;

namespace Weave.Gossip.Protocol;

/// <summary>
/// What a peer says about itself in the first frame: identity, the UDP port its data plane listens
/// on, and a feature map. Encoded as a MessagePack map of strings so either side can add features
/// without breaking the other: unknown keys are ignored, required keys are checked.
/// </summary>
public sealed record PeerIntro(PeerName Name, string NickName, ulong Uid, ulong ConnectionId, int DataPort, string Software)
{
    private const string NameKey = "Name";
    private const string NickNameKey = "NickName";
    private const string UidKey = "UID";
    private const string ConnIdKey = "ConnID";
    private const string DataPortKey = "DataPort";
    private const string SoftwareKey = "Software";

    public byte[] Encode()
    {
        (string Key, string Value)[] features =
        [
            (NameKey, Name.ToString()),
            (NickNameKey, NickName),
            (UidKey, Uid.ToString(CultureInfo.InvariantCulture)),
            (ConnIdKey, ConnectionId.ToString(CultureInfo.InvariantCulture)),
            (DataPortKey, DataPort.ToString(CultureInfo.InvariantCulture)),
            (SoftwareKey, Software),
        ];
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(features.Length);
        foreach (var (key, value) in features)
        {
            writer.Write(key);
            writer.Write(value);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes an intro from an untrusted peer; on failure says what was wrong.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> body, out PeerIntro? intro, out string error)
    {
        intro = null;
        if (body.Length > WireFormat.MaxIntroBytes)
        {
            error = $"intro too large ({body.Length} bytes)";
            return false;
        }
        // Read with the low-level reader: no reflection or generated code for a handful of strings.
        var features = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new MessagePackReader(body);
            if (reader.NextMessagePackType != MessagePackType.Map)
            {
                error = "intro is not a map of strings";
                return false;
            }
            int count = reader.ReadMapHeader();
            if (count > WireFormat.MaxIntroFeatures)
            {
                error = "intro has no features or too many";
                return false;
            }
            for (int i = 0; i < count; i++)
            {
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    error = "intro is not a map of strings";
                    return false;
                }
                string key = reader.ReadString()!;
                if (reader.NextMessagePackType != MessagePackType.String)
                {
                    error = $"intro is not a map of strings (feature '{Truncate(key)}')";
                    return false;
                }
                if (!features.TryAdd(key, reader.ReadString()!))
                {
                    error = $"intro repeats feature '{Truncate(key)}'";
                    return false;
                }
            }
            if (!reader.End)
            {
                error = "intro has bytes after its map";
                return false;
            }
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or ArgumentOutOfRangeException or OverflowException)
        {
            // The reader's ways of saying a length or type byte lies; the body is at most 16 KiB,
            // so nothing large was allocated on the way.
            error = "intro is not a map of strings: " + e.Message;
            return false;
        }
        foreach (var (key, value) in features)
        {
            if (key is null || value is null || key.Length > WireFormat.MaxFeatureLength || value.Length > WireFormat.MaxFeatureLength)
            {
                error = "intro feature missing or too long";
                return false;
            }
        }
        if (!TryGet(features, NameKey, out string nameText, out error) ||
            !TryGet(features, UidKey, out string uidText, out error) ||
            !TryGet(features, ConnIdKey, out string connIdText, out error) ||
            !TryGet(features, DataPortKey, out string dataPortText, out error))
        {
            return false;
        }
        if (!PeerName.TryParse(nameText, out PeerName name))
        {
            error = $"intro: invalid peer name '{nameText}'";
            return false;
        }
        if (!ulong.TryParse(uidText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong uid) || uid == 0)
        {
            error = $"intro: invalid UID '{uidText}'";
            return false;
        }
        if (!ulong.TryParse(connIdText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong connId))
        {
            error = $"intro: invalid ConnID '{connIdText}'";
            return false;
        }
        if (!int.TryParse(dataPortText, NumberStyles.None, CultureInfo.InvariantCulture, out int dataPort) || dataPort is < 1 or > 65535)
        {
            error = $"intro: invalid DataPort '{dataPortText}'";
            return false;
        }
        string nick = features.GetValueOrDefault(NickNameKey) ?? "";
        string software = features.GetValueOrDefault(SoftwareKey) ?? "";
        intro = new PeerIntro(name, nick, uid, connId, dataPort, software);
        error = "";
        return true;
    }

    private static bool TryGet(Dictionary<string, string> features, string key, out string value, out string error)
    {
        if (features.TryGetValue(key, out string? found))
        {
            value = found;
            error = "";
            return true;
        }
        value = "";
        error = $"intro lacks required feature '{key}'";
        return false;
    }

    private static string Truncate(string text) => text.Length <= 32 ? text : text[..32] + "...";

    /// <summary>How operators see a peer: <c>name(nickname)</c>, as Weave printed it.</summary>
    public string Display => $"{Name}({NickName})";
}

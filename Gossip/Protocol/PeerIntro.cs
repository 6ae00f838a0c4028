using System.Globalization;
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

    private static readonly MessagePackSerializerOptions s_untrusted =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    public byte[] Encode()
    {
        var features = new Dictionary<string, string>
        {
            [NameKey] = Name.ToString(),
            [NickNameKey] = NickName,
            [UidKey] = Uid.ToString(CultureInfo.InvariantCulture),
            [ConnIdKey] = ConnectionId.ToString(CultureInfo.InvariantCulture),
            [DataPortKey] = DataPort.ToString(CultureInfo.InvariantCulture),
            [SoftwareKey] = Software,
        };
        return MessagePackSerializer.Serialize(features, s_untrusted);
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
        Dictionary<string, string>? features;
        try
        {
            features = MessagePackSerializer.Deserialize<Dictionary<string, string>>(body, s_untrusted);
        }
        catch (MessagePackSerializationException e)
        {
            error = "intro is not a map of strings: " + (e.InnerException?.Message ?? e.Message);
            return false;
        }
        if (features is null || features.Count > WireFormat.MaxIntroFeatures)
        {
            error = "intro has no features or too many";
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

    /// <summary>How operators see a peer: <c>name(nickname)</c>, as Weave printed it.</summary>
    public string Display => $"{Name}({NickName})";
}

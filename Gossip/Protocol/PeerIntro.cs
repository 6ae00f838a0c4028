using System.Globalization;
using System.Buffers;
using System.Net;
using MessagePack;

namespace Weave.Gossip.Protocol;

/// <summary>
/// What a peer says about itself in the first frame: identity, the UDP port its data plane listens
/// on, and a feature map. Encoded as a MessagePack map of strings so either side can add features
/// without breaking the other: unknown keys are ignored, required keys are checked.
/// With a password the intro also carries the connection's ephemeral X25519 public key and the
/// cipher offer, and leaves out what the handshake needs not see in clear (nickname, software):
/// those travel sealed in the key confirmation (<see cref="EncodePrivate"/>).
/// <see cref="Trusted"/> (Weave's feature) travels in clear in every intro, so with a password it is
/// bound into the handshake transcript like every other byte of the intro. So do <c>Cluster</c> and
/// <c>ClusterRange</c>: admission decides on them, so a man in the middle must not be able to change them.
/// </summary>
public sealed record PeerIntro(PeerName Name, string NickName, ulong Uid, ulong ConnectionId, int DataPort, string Software)
{
    private const string NameKey = "Name";
    private const string NickNameKey = "NickName";
    private const string UidKey = "UID";
    private const string ConnIdKey = "ConnID";
    private const string DataPortKey = "DataPort";
    private const string SoftwareKey = "Software";
    private const string EncryptionKey = "Encryption";
    private const string CiphersKey = "Ciphers";
    private const string TrustedKey = "Trusted";
    private const string ChunksKey = "Chunks";
    private const string FastDpKey = "FastDP";
    private const string ClusterKey = "Cluster";
    private const string ClusterRangeKey = "ClusterRange";

    /// <summary>The ephemeral X25519 public key (32 bytes) when the peer has a password; null without one.</summary>
    public ReadOnlyMemory<byte>? PublicKey { get; init; }

    /// <summary>The AEADs offered, best first, space-separated (with a password only).</summary>
    public string? Ciphers { get; init; }

    public bool WantsEncryption => PublicKey is not null;

    /// <summary>
    /// The sender trusts our underlay address (it lies inside one of its <c>--trusted-subnets</c>):
    /// our data may travel between us unencrypted if we trust it too. Sent as <c>true</c> or
    /// <c>false</c>, as Weave did; a peer that sends nothing (an older one) counts as not trusting.
    /// </summary>
    public bool Trusted { get; init; }

    /// <summary>
    /// The sender puts chunked super-frames back together (its bridge takes them whole): sealed
    /// TCP super-frames for it may travel as pieces of their bytes instead of TCP segments
    /// (docs/dataplane.md). Sent as <c>true</c> or <c>false</c>; a peer that sends nothing (an
    /// older one) counts as not taking them, so it keeps getting segments.
    /// </summary>
    public bool TakesChunks { get; init; }

    /// <summary>
    /// The sender's UDP data port is its kernel's VXLAN device (the fast path, docs/dataplane.md):
    /// it hears probes there, not our userspace VXLAN heartbeats, and its router cannot send from
    /// that port. Sent as <c>true</c> or <c>false</c>; a peer that sends nothing (an older one)
    /// counts as a userspace one.
    /// </summary>
    public bool FastDp { get; init; }

    /// <summary>
    /// The sender's cluster: <c>Cluster</c> (its name) and <c>ClusterRange</c> (its pod range,
    /// left out when the sender allocates no addresses). A peer that sends no <c>Cluster</c> (an
    /// older one) has none, and admission then has nothing to check.
    /// </summary>
    public ClusterIdentity? Cluster { get; init; }

    public byte[] Encode()
    {
        var features = new List<(string Key, string Value)>
        {
            (NameKey, Name.ToString()),
            (UidKey, Uid.ToString(CultureInfo.InvariantCulture)),
            (ConnIdKey, ConnectionId.ToString(CultureInfo.InvariantCulture)),
            (DataPortKey, DataPort.ToString(CultureInfo.InvariantCulture)),
            (TrustedKey, Trusted ? "true" : "false"),
            (ChunksKey, TakesChunks ? "true" : "false"),
            (FastDpKey, FastDp ? "true" : "false"),
        };
        if (Cluster is { } cluster)
        {
            features.Add((ClusterKey, cluster.Name));
            if (cluster.Range is { } range)
            {
                features.Add((ClusterRangeKey, range.ToString()));
            }
        }
        if (PublicKey is { } key)
        {
            features.Add((EncryptionKey, Convert.ToHexStringLower(key.Span)));
            features.Add((CiphersKey, Ciphers ?? ""));
        }
        else
        {
            features.Add((NickNameKey, NickName));
            features.Add((SoftwareKey, Software));
        }
        return EncodeMap(features);
    }

    /// <summary>What an encrypted intro leaves out, sent sealed once keys exist.</summary>
    public byte[] EncodePrivate() => EncodeMap([(NickNameKey, NickName), (SoftwareKey, Software)]);

    /// <summary>Adds the sealed part of the peer's intro (from its key confirmation).</summary>
    public bool TryAddPrivate(ReadOnlyMemory<byte> body, out PeerIntro? completed, out string error)
    {
        completed = null;
        if (!TryReadFeatures(body, out Dictionary<string, string> features, out error))
        {
            return false;
        }
        completed = this with
        {
            NickName = features.GetValueOrDefault(NickNameKey) ?? "",
            Software = features.GetValueOrDefault(SoftwareKey) ?? "",
        };
        return true;
    }

    private static byte[] EncodeMap(List<(string Key, string Value)> features)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(features.Count);
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
        if (!TryReadFeatures(body, out Dictionary<string, string> features, out error))
        {
            return false;
        }
        return TryFrom(features, out intro, out error);
    }

    /// <summary>A bounded MessagePack map of short strings, or why not.</summary>
    private static bool TryReadFeatures(ReadOnlyMemory<byte> body, out Dictionary<string, string> features, out string error)
    {
        features = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.Length > WireFormat.MaxIntroBytes)
        {
            error = $"intro too large ({body.Length} bytes)";
            return false;
        }
        // Read with the low-level reader: no reflection or generated code for a handful of strings.
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
        catch (Exception e) when (MalformedInput.IsMessagePackError(e))
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
        error = "";
        return true;
    }

    private static bool TryFrom(Dictionary<string, string> features, out PeerIntro? intro, out string error)
    {
        intro = null;
        if (!TryGet(features, NameKey, out string nameText, out error) ||
            !TryGet(features, UidKey, out string uidText, out error) ||
            !TryGet(features, ConnIdKey, out string connIdText, out error) ||
            !TryGet(features, DataPortKey, out string dataPortText, out error))
        {
            return false;
        }
        if (!PeerName.TryParse(nameText, out PeerName name, out string nameError))
        {
            error = $"intro: invalid peer name '{Truncate(nameText)}': {nameError}";
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
        bool trusted = false;
        if (features.TryGetValue(TrustedKey, out string? trustedText) && !TryParseFlag(trustedText, out trusted))
        {
            error = $"intro: invalid Trusted '{Truncate(trustedText)}' (expected true or false)";
            return false;
        }
        bool takesChunks = false;
        if (features.TryGetValue(ChunksKey, out string? chunksText) && !TryParseFlag(chunksText, out takesChunks))
        {
            error = $"intro: invalid Chunks '{Truncate(chunksText)}' (expected true or false)";
            return false;
        }
        bool fastDp = false;
        if (features.TryGetValue(FastDpKey, out string? fastDpText) && !TryParseFlag(fastDpText, out fastDp))
        {
            error = $"intro: invalid FastDP '{Truncate(fastDpText)}' (expected true or false)";
            return false;
        }
        if (!TryGetCluster(features, out ClusterIdentity? cluster, out error))
        {
            return false;
        }
        intro = new PeerIntro(name, nick, uid, connId, dataPort, software) { Trusted = trusted, TakesChunks = takesChunks, FastDp = fastDp, Cluster = cluster };
        if (features.TryGetValue(EncryptionKey, out string? keyText))
        {
            if (keyText.Length != 64 || !TryHex(keyText, out byte[] key))
            {
                intro = null;
                error = "intro: invalid Encryption key (expected 64 hex digits)";
                return false;
            }
            intro = intro with { PublicKey = key, Ciphers = features.GetValueOrDefault(CiphersKey) ?? "" };
        }
        error = "";
        return true;
    }

    /// <summary>The optional cluster features; a range without a name is refused, as it says nothing admission could use.</summary>
    private static bool TryGetCluster(Dictionary<string, string> features, out ClusterIdentity? cluster, out string error)
    {
        cluster = null;
        bool hasRange = features.TryGetValue(ClusterRangeKey, out string? rangeText);
        if (!features.TryGetValue(ClusterKey, out string? name))
        {
            error = hasRange ? $"intro: {ClusterRangeKey} without {ClusterKey}" : "";
            return !hasRange;
        }
        IPNetwork? range = null;
        if (hasRange && !ClusterIdentity.TryParseRange(rangeText!, out range, out string rangeError))
        {
            error = $"intro: invalid {ClusterRangeKey}: {rangeError}";
            return false;
        }
        if (!ClusterIdentity.TryCreate(name, range, out cluster, out string nameError))
        {
            error = $"intro: invalid {ClusterKey}: {nameError}";
            return false;
        }
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

    /// <summary>Weave wrote Go's <c>fmt.Sprint(bool)</c>: exactly <c>true</c> or <c>false</c>.</summary>
    private static bool TryParseFlag(string text, out bool flag)
    {
        flag = text == "true";
        return flag || text == "false";
    }

    private static bool TryHex(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length / 2];
        return Convert.FromHexString(text, bytes, out _, out int written) == System.Buffers.OperationStatus.Done && written == bytes.Length;
    }

    private static string Truncate(string text) => text.Length <= 32 ? text : text[..32] + "...";

    /// <summary>How operators see a peer: <c>name(nickname)</c>, as Weave printed it.</summary>
    public string Display => $"{Name}({NickName})";
}

namespace Weave.Gossip.Protocol;

/// <summary>The 7-byte header both sides send first: magic and the range of versions spoken.</summary>
public readonly record struct ProtocolHeader(byte MinVersion, byte MaxVersion)
{
    public static ProtocolHeader Ours => new(WireFormat.ProtocolMinVersion, WireFormat.ProtocolMaxVersion);

    public void Write(Span<byte> destination)
    {
        WireFormat.Magic.CopyTo(destination);
        destination[5] = MinVersion;
        destination[6] = MaxVersion;
    }

    public static bool TryParse(ReadOnlySpan<byte> bytes, out ProtocolHeader header, out string error)
    {
        header = default;
        if (bytes.Length < WireFormat.HeaderSizeBytes)
        {
            error = $"header too short ({bytes.Length} bytes)";
            return false;
        }
        if (!bytes[..5].SequenceEqual(WireFormat.Magic))
        {
            error = "not a weave peer (bad magic)";
            return false;
        }
        if (bytes[5] > bytes[6])
        {
            error = $"invalid version range {bytes[5]}..{bytes[6]}";
            return false;
        }
        header = new ProtocolHeader(bytes[5], bytes[6]);
        error = "";
        return true;
    }

    /// <summary>The highest version both sides speak, or false when the ranges do not overlap.</summary>
    public bool TryNegotiate(ProtocolHeader remote, out byte version)
    {
        byte low = Math.Max(MinVersion, remote.MinVersion);
        byte high = Math.Min(MaxVersion, remote.MaxVersion);
        version = high;
        return low <= high;
    }

    public override string ToString() => $"{MinVersion}..{MaxVersion}";
}

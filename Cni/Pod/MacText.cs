namespace Weave.Cni.Pod;

/// <summary>Ethernet addresses as results write them: lower-case hex pairs joined by ':'.</summary>
public static class MacText
{
    public static string Format(ReadOnlySpan<byte> mac) =>
        mac.IsEmpty ? "" : string.Join(':', mac.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}

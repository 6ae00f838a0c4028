using System.Buffers.Binary;
using System.Text;

namespace Weave.Tests.Linux;

/// <summary>Test frames with the IEEE local experimental EtherType, so nothing else matches them.</summary>
internal static class EthernetFrames
{
    public const ushort TestEtherType = 0x88B5;

    /// <summary>A broadcast frame from <paramref name="source"/>, padded to the 60-byte minimum.</summary>
    public static byte[] Broadcast(byte[] source, string payload)
    {
        byte[] text = Encoding.ASCII.GetBytes(payload);
        byte[] frame = new byte[Math.Max(60, 14 + text.Length)];
        frame.AsSpan(0, 6).Fill(0xff);
        source.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), TestEtherType);
        text.CopyTo(frame, 14);
        return frame;
    }
}

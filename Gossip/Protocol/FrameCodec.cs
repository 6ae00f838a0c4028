using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Weave.Gossip.Protocol;

/// <summary>Length-prefixed frames: encoding and untrusted parsing.</summary>
public static class FrameCodec
{
    public enum ReadResult
    {
        Frame,
        NeedMoreData,
        Invalid,
    }

    public static byte[] Encode(FrameTag tag, ReadOnlySpan<byte> body)
    {
        var frame = new byte[WireFormat.FrameLengthSizeBytes + WireFormat.TagSizeBytes + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(WireFormat.TagSizeBytes + body.Length));
        frame[WireFormat.FrameLengthSizeBytes] = (byte)tag;
        body.CopyTo(frame.AsSpan(WireFormat.FrameLengthSizeBytes + WireFormat.TagSizeBytes));
        return frame;
    }

    /// <summary>
    /// Takes one frame off the front of <paramref name="buffer"/>. A zero length or one above
    /// <paramref name="maxFrameBytes"/> is <see cref="ReadResult.Invalid"/>: the connection must go,
    /// since nothing after it can be trusted to be aligned.
    /// </summary>
    public static ReadResult TryRead(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out byte tag, out ReadOnlySequence<byte> body, out string error)
    {
        tag = 0;
        body = default;
        error = "";
        if (buffer.Length < WireFormat.FrameLengthSizeBytes)
        {
            return ReadResult.NeedMoreData;
        }
        Span<byte> lengthBytes = stackalloc byte[WireFormat.FrameLengthSizeBytes];
        buffer.Slice(0, WireFormat.FrameLengthSizeBytes).CopyTo(lengthBytes);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(lengthBytes);
        if (length < WireFormat.TagSizeBytes || length > (uint)maxFrameBytes)
        {
            error = $"frame length {length} outside 1..{maxFrameBytes}";
            return ReadResult.Invalid;
        }
        if (buffer.Length < WireFormat.FrameLengthSizeBytes + length)
        {
            return ReadResult.NeedMoreData;
        }
        var frame = buffer.Slice(WireFormat.FrameLengthSizeBytes, length);
        tag = frame.FirstSpan[0];
        body = frame.Slice(WireFormat.TagSizeBytes);
        buffer = buffer.Slice(frame.End);
        return ReadResult.Frame;
    }

    /// <summary>
    /// Reads one whole frame and copies its body out (control frames are small and rare).
    /// Null when the peer closed the connection cleanly between frames.
    /// </summary>
    public static async ValueTask<(byte Tag, byte[] Body)?> ReadFrameAsync(PipeReader reader, int maxFrameBytes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        while (true)
        {
            System.IO.Pipelines.ReadResult read = await reader.ReadAsync(ct).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            switch (FrameCodec.TryRead(ref buffer, maxFrameBytes, out byte tag, out ReadOnlySequence<byte> body, out string error))
            {
                case FrameCodec.ReadResult.Frame:
                    byte[] copy = body.ToArray();
                    reader.AdvanceTo(buffer.Start);
                    return (tag, copy);
                case FrameCodec.ReadResult.Invalid:
                    reader.AdvanceTo(read.Buffer.Start);
                    throw new ProtocolException(error);
                default:
                    if (read.IsCompleted)
                    {
                        reader.AdvanceTo(read.Buffer.End);
                        if (read.Buffer.Length == 0)
                        {
                            return null;
                        }
                        throw new ProtocolException("connection closed in the middle of a frame");
                    }
                    reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                    break;
            }
        }
    }
}

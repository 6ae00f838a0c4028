using System.Buffers;
using System.IO.Pipelines;
using Weave.Crypto;

namespace Weave.Gossip.Protocol;

/// <summary>
/// Control frames (tag and body) inside sealed records, for connections with a password: the same
/// frames as <see cref="FrameCodec"/>, each the content of one record.
/// </summary>
public static class SealedFrames
{
    /// <summary>
    /// Reads and opens one record; null when the peer closed cleanly between records. A record that
    /// fails to open ends the connection: <see cref="ProtocolException"/> with the reason.
    /// </summary>
    public static async ValueTask<byte[]?> ReadAsync(PipeReader reader, StreamRecordOpener opener, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(opener);
        while (true)
        {
            ReadResult read = await reader.ReadAsync(ct).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = read.Buffer;
            switch (opener.TryOpen(ref buffer, out byte[] content, out string error))
            {
                case StreamRecordOpener.Result.Record:
                    reader.AdvanceTo(buffer.Start);
                    return content;
                case StreamRecordOpener.Result.Invalid:
                    reader.AdvanceTo(read.Buffer.Start);
                    throw new ProtocolException(error);
                default:
                    reader.AdvanceTo(buffer.Start, read.Buffer.End);
                    if (read.IsCompleted)
                    {
                        if (buffer.Length == 0)
                        {
                            return null;
                        }
                        throw new ProtocolException("connection closed in the middle of a record");
                    }
                    break;
            }
        }
    }

    /// <summary>Reads one sealed frame: its tag and body. Null on a clean close.</summary>
    public static async ValueTask<(byte Tag, byte[] Body)?> ReadFrameAsync(PipeReader reader, StreamRecordOpener opener, CancellationToken ct)
    {
        byte[]? content = await ReadAsync(reader, opener, ct).ConfigureAwait(false);
        if (content is null)
        {
            return null;
        }
        if (content.Length < WireFormat.TagSizeBytes)
        {
            throw new ProtocolException("sealed frame without a tag");
        }
        return (content[0], content[WireFormat.TagSizeBytes..]);
    }
}

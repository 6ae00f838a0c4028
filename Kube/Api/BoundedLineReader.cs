using System.Buffers;

namespace Weave.Kube.Api;

/// <summary>
/// Reads newline-separated records (a watch stream: one JSON object per line) from a stream, with
/// a bound on a record's length, so a broken or hostile peer at the other end cannot make the
/// router buffer without end.
/// </summary>
internal sealed class BoundedLineReader : IDisposable
{
    private readonly Stream _stream;
    private readonly int _maxLineBytes;
    private byte[] _buffer;
    private int _start;
    private int _end;

    public BoundedLineReader(Stream stream, int maxLineBytes)
    {
        _stream = stream;
        _maxLineBytes = maxLineBytes;
        _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    }

    /// <summary>The next line without its newline, or null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">A line is longer than the bound.</exception>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken ct)
    {
        int scanned = 0;
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (newline >= 0)
            {
                var line = new ReadOnlyMemory<byte>(_buffer, _start, newline - _start);
                _start = newline + 1;
                return line;
            }
            scanned = _end - _start;
            if (scanned > _maxLineBytes)
            {
                throw new InvalidDataException($"a line of the stream is longer than {_maxLineBytes} bytes");
            }
            MakeRoom();
            int read = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (read == 0)
            {
                // Not a conditional expression: there null would become an empty line (byte[] to memory).
                if (_end > _start)
                {
                    return TakeRest();
                }
                return null;
            }
            _end += read;
        }
    }

    private ReadOnlyMemory<byte> TakeRest()
    {
        var rest = new ReadOnlyMemory<byte>(_buffer, _start, _end - _start);
        _start = _end;
        return rest;
    }

    /// <summary>Moves the unread part to the front, and grows the buffer when it is full.</summary>
    private void MakeRoom()
    {
        int unread = _end - _start;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, unread);
            _start = 0;
            _end = unread;
        }
        if (_end == _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, _maxLineBytes + 1));
            Buffer.BlockCopy(_buffer, 0, larger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

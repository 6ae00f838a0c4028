using System.Buffers.Binary;
using Weave.Gossip.Protocol;

namespace Weave.Tests.Gossip;

/// <summary>
/// A man in the middle between two loopback connections: in each direction it may rewrite the
/// protocol header and the first frame (the intro), then passes everything else through.
/// </summary>
internal sealed class TamperingRelay : IAsyncDisposable
{
    private readonly LoopbackPair _toDialer;
    private readonly LoopbackPair _toAcceptor;
    private readonly Task _running;

    private TamperingRelay(LoopbackPair toDialer, LoopbackPair toAcceptor, Task running)
    {
        _toDialer = toDialer;
        _toAcceptor = toAcceptor;
        _running = running;
    }

    /// <summary>The dialer's end (talks to the relay as if to the acceptor).</summary>
    public LoopbackEnd Dialer => _toDialer.Dialer;

    /// <summary>The acceptor's end.</summary>
    public LoopbackEnd Acceptor => _toAcceptor.Acceptor;

    public static async Task<TamperingRelay> StartAsync(
        Func<byte[], byte[]>? dialerHeader = null, Func<byte[], byte[]>? dialerIntro = null,
        Func<byte[], byte[]>? acceptorHeader = null, Func<byte[], byte[]>? acceptorIntro = null)
    {
        LoopbackPair toDialer = await LoopbackPair.ConnectAsync();
        LoopbackPair toAcceptor = await LoopbackPair.ConnectAsync();
        Task running = Task.WhenAll(
            PumpAsync(toDialer.Acceptor.Stream, toAcceptor.Dialer.Stream, dialerHeader, dialerIntro),
            PumpAsync(toAcceptor.Dialer.Stream, toDialer.Acceptor.Stream, acceptorHeader, acceptorIntro));
        return new TamperingRelay(toDialer, toAcceptor, running);
    }

    private static async Task PumpAsync(Stream from, Stream to, Func<byte[], byte[]>? header, Func<byte[], byte[]>? intro)
    {
        try
        {
            byte[] head = new byte[WireFormat.HeaderSizeBytes];
            await from.ReadExactlyAsync(head);
            await to.WriteAsync(header is null ? head : header(head));
            byte[] length = new byte[4];
            await from.ReadExactlyAsync(length);
            byte[] frame = new byte[BinaryPrimitives.ReadUInt32BigEndian(length)];
            await from.ReadExactlyAsync(frame);
            byte[] body = intro is null ? frame[1..] : intro(frame[1..]);
            await to.WriteAsync(FrameCodec.Encode((FrameTag)frame[0], body));
            await from.CopyToAsync(to);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException or OperationCanceledException)
        {
            // One side hung up: the relay's work is done.
        }
        finally
        {
            to.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _toDialer.DisposeAsync();
        await _toAcceptor.DisposeAsync();
        await _running;
    }
}

using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>The request/reply exchanges. Every method here runs with <c>_gate</c> held. Replies
/// carrying another sequence number (left over from an earlier, failed exchange) are skipped.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>Sends a request made with NLM_F_ACK and waits for its ack; throws on a kernel error.</summary>
    private void Execute(ReadOnlySpan<byte> request, uint sequence, string what)
    {
        _socket.Send(request, what);
        while (true)
        {
            ReadOnlySpan<byte> datagram = _receive.AsSpan(0, _socket.Receive(ref _receive, what));
            while (!datagram.IsEmpty)
            {
                if (!NetlinkParser.TryReadMessage(ref datagram, out NetlinkHeader header, out ReadOnlySpan<byte> payload))
                {
                    throw Malformed(what);
                }
                if (header.Sequence != sequence || header.Type != NLMSG_ERROR)
                {
                    continue;
                }
                if (!NetlinkParser.TryParseError(payload, header.Flags, out int errno, out string? detail))
                {
                    throw Malformed(what);
                }
                if (errno != 0)
                {
                    throw KernelError(what, errno, detail);
                }
                return;
            }
        }
    }

    /// <summary>Sends a single-link RTM_GETLINK and returns the link, or null on ENODEV.</summary>
    private LinkInfo? QueryLink(ReadOnlySpan<byte> request, uint sequence, string what)
    {
        _socket.Send(request, what);
        while (true)
        {
            ReadOnlySpan<byte> datagram = _receive.AsSpan(0, _socket.Receive(ref _receive, what));
            while (!datagram.IsEmpty)
            {
                if (!NetlinkParser.TryReadMessage(ref datagram, out NetlinkHeader header, out ReadOnlySpan<byte> payload))
                {
                    throw Malformed(what);
                }
                if (header.Sequence != sequence)
                {
                    continue;
                }
                if (header.Type == RTM_NEWLINK)
                {
                    return NetlinkParser.TryParseLink(payload, out LinkInfo? link) ? link : throw Malformed(what);
                }
                if (header.Type == NLMSG_ERROR)
                {
                    if (!NetlinkParser.TryParseError(payload, header.Flags, out int errno, out string? detail))
                    {
                        throw Malformed(what);
                    }
                    if (errno == Tmds.Linux.LibC.ENODEV || errno == 0)
                    {
                        return null;
                    }
                    throw KernelError(what, errno, detail);
                }
            }
        }
    }

    /// <summary>Sends an RTM_GETLINK dump and collects links until NLMSG_DONE. <paramref name="interrupted"/>
    /// is set when the kernel flagged the dump inconsistent (NLM_F_DUMP_INTR): the caller retries.</summary>
    private List<LinkInfo> DumpLinks(ReadOnlySpan<byte> request, uint sequence, string what, out bool interrupted)
    {
        interrupted = false;
        var links = new List<LinkInfo>();
        _socket.Send(request, what);
        while (true)
        {
            ReadOnlySpan<byte> datagram = _receive.AsSpan(0, _socket.Receive(ref _receive, what));
            while (!datagram.IsEmpty)
            {
                if (!NetlinkParser.TryReadMessage(ref datagram, out NetlinkHeader header, out ReadOnlySpan<byte> payload))
                {
                    throw Malformed(what);
                }
                if (header.Sequence != sequence)
                {
                    continue;
                }
                interrupted |= (header.Flags & NLM_F_DUMP_INTR) != 0;
                switch (header.Type)
                {
                    case RTM_NEWLINK:
                        links.Add(NetlinkParser.TryParseLink(payload, out LinkInfo? link) ? link : throw Malformed(what));
                        break;
                    case NLMSG_DONE:
                        if (!NetlinkParser.TryParseDone(payload, out int doneErrno))
                        {
                            throw Malformed(what);
                        }
                        if (doneErrno != 0)
                        {
                            throw new LinuxError(what, doneErrno);
                        }
                        return links;
                    case NLMSG_ERROR:
                        if (!NetlinkParser.TryParseError(payload, header.Flags, out int errno, out string? detail))
                        {
                            throw Malformed(what);
                        }
                        throw KernelError(what, errno, detail);
                }
            }
        }
    }
}

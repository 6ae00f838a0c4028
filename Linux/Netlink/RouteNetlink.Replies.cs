using static Weave.Linux.NetlinkConstants;

namespace Weave.Linux;

/// <summary>The request/reply exchanges. Every method here runs with <c>_gate</c> held. Replies
/// carrying another sequence number (left over from an earlier, failed exchange) are skipped.</summary>
public sealed partial class RouteNetlink
{
    /// <summary>Sends a request made with NLM_F_ACK and waits for its ack; throws on a kernel error.</summary>
    private void Execute(ReadOnlySpan<byte> request, uint sequence, string what)
    {
        int errno = Exchange(request, sequence, what, out string? detail);
        if (errno != 0)
        {
            throw KernelError(what, errno, detail);
        }
    }

    /// <summary>Like <see cref="Execute"/>, but returns false instead of throwing when the kernel
    /// answers with <paramref name="toleratedErrno"/> (a delete of something already gone).</summary>
    private bool ExecuteUnlessErrno(ReadOnlySpan<byte> request, uint sequence, int toleratedErrno, string what)
    {
        int errno = Exchange(request, sequence, what, out string? detail);
        if (errno == 0)
        {
            return true;
        }
        return errno == toleratedErrno ? false : throw KernelError(what, errno, detail);
    }

    /// <summary>Sends a request made with NLM_F_ACK and returns the errno of its NLMSG_ERROR (0 for an ack).</summary>
    private int Exchange(ReadOnlySpan<byte> request, uint sequence, string what, out string? detail) =>
        _socket.Exchange(request, sequence, ref _receive, what, out detail);

    /// <summary>Parses the payload of the one answer a query expects; false when it is malformed.</summary>
    private delegate bool ReplyParser<T>(ReadOnlySpan<byte> payload, out T? item);

    /// <summary>Sends a request for one object (a link, a route lookup) and parses its
    /// <paramref name="replyType"/> answer. Returns the default of T when the kernel answers with
    /// one of <paramref name="missingErrnos"/> (there is no such object) or a bare ack.</summary>
    private T? Query<T>(ReadOnlySpan<byte> request, uint sequence, ushort replyType, ReplyParser<T> parse,
        ReadOnlySpan<int> missingErrnos, string what)
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
                if (header.Type == replyType)
                {
                    return parse(payload, out T? item) ? item : throw Malformed(what);
                }
                if (header.Type == NLMSG_ERROR)
                {
                    if (!NetlinkParser.TryParseError(payload, header.Flags, out int errno, out string? detail))
                    {
                        throw Malformed(what);
                    }
                    if (errno == 0 || missingErrnos.Contains(errno))
                    {
                        return default;
                    }
                    throw KernelError(what, errno, detail);
                }
            }
        }
    }

    /// <summary>Adds the items of one reply message to the list; returns false when the message is
    /// malformed. It may add nothing (a reply the caller filters out).</summary>
    private delegate bool ReplyCollector<T>(ReadOnlySpan<byte> payload, List<T> items);

    /// <summary>Sends a dump request and collects its <paramref name="replyType"/> messages until
    /// NLMSG_DONE. <paramref name="interrupted"/> is set when the kernel flagged the dump
    /// inconsistent (NLM_F_DUMP_INTR): the caller retries.</summary>
    private List<T> Dump<T>(ReadOnlySpan<byte> request, uint sequence, ushort replyType, ReplyCollector<T> collect, string what, out bool interrupted)
    {
        interrupted = false;
        var items = new List<T>();
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
                if (header.Type == replyType)
                {
                    if (!collect(payload, items))
                    {
                        throw Malformed(what);
                    }
                    continue;
                }
                switch (header.Type)
                {
                    case NLMSG_DONE:
                        if (!NetlinkParser.TryParseDone(payload, out int doneErrno))
                        {
                            throw Malformed(what);
                        }
                        if (doneErrno != 0)
                        {
                            throw new LinuxError(what, doneErrno);
                        }
                        return items;
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

    /// <summary>Runs <see cref="Dump"/> again while the kernel reports it interrupted, up to
    /// <see cref="MaxDumpAttempts"/> times; the last attempt's result is returned regardless.</summary>
    private List<T> DumpConsistent<T>(ushort requestType, ushort replyType, ReplyCollector<T> collect, string what, DumpHeaderWriter writeHeader)
    {
        for (int attempt = 1; ; attempt++)
        {
            var message = Begin(requestType, NLM_F_REQUEST | NLM_F_DUMP, out uint sequence);
            writeHeader(ref message);
            List<T> items = Dump(message.Finish(), sequence, replyType, collect, what, out bool interrupted);
            if (!interrupted || attempt == MaxDumpAttempts)
            {
                return items;
            }
        }
    }

    /// <summary>Writes the family header of a dump request.</summary>
    private delegate void DumpHeaderWriter(ref NetlinkMessage message);
}

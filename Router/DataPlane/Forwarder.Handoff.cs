using Weave.Linux;

namespace Weave.Router.DataPlane;

/// <summary>
/// Who reads the two UDP sockets. Without a <see cref="Readiness"/>, each has its own thread for
/// good. With one, the TAP thread serves the sockets too, waiting on the TAP and the sockets at
/// once as a one-thread forwarder does: a frame from a peer written to the bridge and the reply
/// the bridge queues at once on the TAP are handled in one wakeup, where separate threads take a
/// wakeup each, and in a VM a wakeup costs tens of microseconds (a ping's round trip is mostly
/// wakeups). That holds for a transfer too: its data goes one way and only its acknowledgements
/// come back, so one thread carries both with fewer wakeups and fewer threads waiting for a core.
/// Only when a socket and the bridge both bring bulk batches (16 KiB or more) within 20 ms, that
/// is traffic heavy both ways, does the TAP thread hand that socket to its own thread, so the two
/// directions spread over two cores; the socket thread hands it back once either direction has
/// had no bulk batch for 20 ms. A socket, its receive batches and what its thread owns
/// (coalescer, relay buffers, counters, MAC expiry) belong to one thread at a time: a volatile
/// flag says which, and only the thread holding the socket flips it; the TAP thread reads the
/// flags only when a socket thread wakes it.
/// </summary>
public sealed partial class Forwarder
{
    /// <summary>How recent a bulk batch must be, each way, for a socket to keep its own thread.</summary>
    private const int BulkWindowMilliseconds = 20;

    /// <summary>The bytes of one batch (frames from the bridge, datagrams from a socket) that make it
    /// bulk: a super-frame, a GRO run, a dozen full frames; never a batch of acknowledgements.</summary>
    private const int BulkBatchBytes = 16 * 1024;

    private readonly VxlanReceiver _vxlanReader;
    private readonly SleeveReceiver _sleeveReader;
    private DataSources _heldByTapThread; // the TAP thread's view of the flags, owned by it
    private long _lastBridgeBulk;          // when the bridge last gave a bulk batch (ForwardFromBridge); read by the socket threads
    private long _bulkWindowTicks;

    /// <summary>Lets the TAP thread serve the sockets too while traffic is light; null: a thread per input.</summary>
    public IDataReadiness? Readiness { get; init; }

    /// <summary>Whether the TAP thread holds the VXLAN socket now (a test's view; it changes under load).</summary>
    internal bool VxlanWithTapThread => _vxlanReader.WithTapThread;

    private void StartReaders()
    {
        bool light = Readiness is not null;
        _vxlanReader.WithTapThread = light;
        _sleeveReader.WithTapThread = light;
        _heldByTapThread = light ? DataSources.Vxlan | DataSources.Sleeve : DataSources.None;
        long now = _time.GetTimestamp();
        _bulkWindowTicks = Ticks(TimeSpan.FromMilliseconds(BulkWindowMilliseconds));
        _lastBridgeBulk = _vxlanReader.LastBulk = _sleeveReader.LastBulk = now - _bulkWindowTicks; // no bulk yet
    }

    /// <summary>
    /// One turn of the TAP thread with a <see cref="Readiness"/>: waits on the TAP and on the
    /// sockets it holds, serves what is ready, and hands a socket over when traffic is bulk both ways.
    /// </summary>
    private void ServeReady(IDataReadiness readiness, PacketBatch frames)
    {
        VxlanReceiver vxlan = _vxlanReader;
        SleeveReceiver sleeve = _sleeveReader;
        if (_heldByTapThread == DataSources.None)
        {
            // Both sockets with their threads (bulk both ways): read first and wait only when the
            // TAP is empty, as a blocking read does, which saves a poll() per batch.
            frames.Count = _tap.Read(frames, 0);
            if (frames.Count == 0)
            {
                DataSources woke = readiness.Wait(DataSources.Bridge, PollMilliseconds);
                RefreshHeldIfWoken(woke, vxlan, sleeve);
                if ((woke & DataSources.Bridge) != 0)
                {
                    frames.Count = _tap.Read(frames, 0);
                }
            }
            _bridge.Forward(frames);
            return;
        }
        DataSources ready = readiness.Wait(DataSources.Bridge | _heldByTapThread, PollMilliseconds);
        RefreshHeldIfWoken(ready, vxlan, sleeve);
        ready &= DataSources.Bridge | _heldByTapThread;
        if ((_heldByTapThread & DataSources.Vxlan) != 0)
        {
            vxlan.ExpireIdleMacsWhenDue(); // the VXLAN socket's chore goes with it, traffic or not
        }
        if ((ready & DataSources.Bridge) != 0)
        {
            frames.Count = _tap.Read(frames, 0);
            _bridge.Forward(frames); // notes a bulk batch for IsBulkBothWays
        }
        // A hand-over is decided when a socket brings a bulk batch: the bridge's side is then
        // already noted, and with traffic heavy both ways the next such batch is never far off.
        bool vxlanBulk = (ready & DataSources.Vxlan) != 0 && vxlan.Receive(0) > 0 && IsBulk(vxlan.Datagrams);
        bool sleeveBulk = (ready & DataSources.Sleeve) != 0 && sleeve.Receive(0) > 0 && IsBulk(sleeve.Datagrams);
        if (vxlanBulk || sleeveBulk)
        {
            long now = _time.GetTimestamp();
            if (vxlanBulk)
            {
                vxlan.LastBulk = now;
                HandOverIfBulkBothWays(vxlan, now);
            }
            if (sleeveBulk)
            {
                sleeve.LastBulk = now;
                HandOverIfBulkBothWays(sleeve, now);
            }
        }
    }

    /// <summary>
    /// After a wake (a socket thread handed its socket back, or shutdown), reads the flags again.
    /// Only then: under bulk traffic this thread never reads them, so it leaves alone the cache
    /// lines near them, which the socket threads write.
    /// </summary>
    private void RefreshHeldIfWoken(DataSources ready, SocketReader vxlan, SocketReader sleeve)
    {
        if ((ready & DataSources.Woken) != 0)
        {
            _heldByTapThread = (vxlan.WithTapThread ? DataSources.Vxlan : DataSources.None)
                | (sleeve.WithTapThread ? DataSources.Sleeve : DataSources.None);
        }
    }

    /// <summary>A socket thread: parked while the TAP thread holds its socket, else receiving while traffic is bulk both ways.</summary>
    private void SocketLoop(SocketReader reader)
    {
        IDataReadiness? readiness = Readiness;
        RunUntilStopped(() =>
        {
            if (reader.WithTapThread)
            {
                // The flag decides; the event only wakes us (a hand-over or shutdown sets it). No
                // timeout and no spinning: a parked thread costs nothing until traffic is bulk both
                // ways, which matters when a machine runs many routers or few cores.
                reader.HandedOver.WaitOne();
                return;
            }
            int received = reader.Receive(readiness is null ? PollMilliseconds : BulkWindowMilliseconds);
            if (readiness is null)
            {
                return; // the socket is this thread's for good
            }
            long now = _time.GetTimestamp();
            if (received > 0 && IsBulk(reader.Datagrams))
            {
                reader.LastBulk = now;
            }
            if (!IsBulkBothWays(reader, now))
            {
                reader.WithTapThread = true; // from here on the socket is the TAP thread's
                Interlocked.Increment(ref Counters.SocketsHandedBack);
                readiness.Wake();            // so that it reads the flag and waits on the socket
            }
        });
    }

    /// <summary>Gives a socket the TAP thread holds to its own thread, when it and the bridge both carry bulk traffic.</summary>
    private void HandOverIfBulkBothWays(SocketReader reader, long now)
    {
        if (!reader.WithTapThread || !IsBulkBothWays(reader, now))
        {
            return;
        }
        reader.WithTapThread = false; // from here on the socket is its thread's
        _heldByTapThread &= ~reader.Source;
        Counters.SocketsHandedOver++;
        reader.HandedOver.Set();
    }

    /// <summary>The bridge gave a bulk batch (the TAP thread, as it forwards one).</summary>
    internal void NoteBridgeBulk(long now) => Volatile.Write(ref _lastBridgeBulk, now);

    /// <summary>Whether the socket and the bridge have each given a bulk batch within the window.</summary>
    private bool IsBulkBothWays(SocketReader reader, long now) =>
        now - reader.LastBulk < _bulkWindowTicks && now - Volatile.Read(ref _lastBridgeBulk) < _bulkWindowTicks;

    /// <summary>Whether a batch (frames or datagrams, a GRO run counting whole) holds <see cref="BulkBatchBytes"/> or more.</summary>
    internal static bool IsBulk(PacketBatch batch)
    {
        int bytes = 0;
        for (int i = 0; i < batch.Count && bytes < BulkBatchBytes; i++)
        {
            bytes += batch.Lengths[i];
        }
        return bytes >= BulkBatchBytes;
    }

    /// <summary>Stops the socket threads' waits for a hand-over, for a prompt shutdown.</summary>
    private void ReleaseReaders()
    {
        _vxlanReader.HandedOver.Set();
        _sleeveReader.HandedOver.Set();
        Readiness?.Wake();
    }

    private void DisposeReaders()
    {
        _vxlanReader.HandedOver.Dispose();
        _sleeveReader.HandedOver.Dispose();
    }
}

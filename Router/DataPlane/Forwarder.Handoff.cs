namespace Weave.Router.DataPlane;

/// <summary>
/// Who reads the two UDP sockets. Without a <see cref="Readiness"/>, each has its own thread for
/// good. With one, light traffic is served by the TAP thread alone, waiting on the TAP and the
/// sockets at once as a one-thread forwarder does: a frame from a peer written to the bridge and
/// the reply the bridge queues at once on the TAP are handled in one wakeup, where separate
/// threads take a wakeup each, and in a VM a wakeup costs tens of microseconds (a ping's round
/// trip is mostly wakeups). As soon as a batch shows bulk traffic (a super-frame, a GRO run,
/// several frames at once), the TAP thread hands the sockets it holds to their own threads, so
/// bulk traffic spreads over cores. A socket thread hands its socket back when neither its socket
/// nor the bridge gave anything for 20 ms, so an idle socket (the sleeve one without a password)
/// is not passed back and forth during a transfer. A socket, its receive batches and what its
/// thread owns (coalescer, relay buffers, counters, MAC expiry) belong to one thread at a time: a
/// volatile flag says which, and only the thread holding the socket flips it; the TAP thread reads
/// the flags only when a socket thread wakes it.
/// </summary>
public sealed partial class Forwarder
{
    /// <summary>How long a socket thread waits for datagrams (and the bridge is quiet) before handing its socket back.</summary>
    private const int HandBackIdleMilliseconds = 20;

    /// <summary>Frames or datagrams in one batch that count as bulk traffic, without offloads.</summary>
    private const int BulkBatchCount = 4;

    private SocketReader? _vxlanReader;
    private SocketReader? _sleeveReader;
    private long _nextMacExpiry; // owned by the thread holding the VXLAN socket
    private DataSources _heldByTapThread; // the TAP thread's view of the flags, owned by it
    private long _lastBridgeActivity;      // when the bridge last gave frames (ForwardFromBridge); read by the socket threads when idle
    private long _handBackIdleTicks;

    /// <summary>Lets the TAP thread serve the sockets too while traffic is light; null: a thread per input.</summary>
    public IDataReadiness? Readiness { get; init; }

    /// <summary>Whether the TAP thread holds the VXLAN socket now (a test's view; it changes under load).</summary>
    internal bool VxlanWithTapThread => _vxlanReader?.WithTapThread ?? false;

    private void StartReaders()
    {
        bool light = Readiness is not null;
        // Receive so that the first inner frame lands at the headroom, as frames read from the TAP
        // do (a sealed one a little further on, behind the epoch and counter).
        _vxlanReader = new SocketReader(DataSources.Vxlan, _udp, PacketBatch.Headroom - VxlanHeader.SizeBytes) { WithTapThread = light };
        _sleeveReader = new SocketReader(DataSources.Sleeve, _sleeve, PacketBatch.Headroom - SleeveHeader.SizeBytes) { WithTapThread = light };
        _heldByTapThread = light ? DataSources.Vxlan | DataSources.Sleeve : DataSources.None;
        _nextMacExpiry = _time.GetTimestamp() + Ticks(s_expiryInterval);
        _handBackIdleTicks = Ticks(TimeSpan.FromMilliseconds(HandBackIdleMilliseconds));
    }

    /// <summary>
    /// One turn of the TAP thread with a <see cref="Readiness"/>: waits on the TAP and on the
    /// sockets it holds, serves what is ready, and hands the sockets over on bulk traffic.
    /// </summary>
    private void ServeReady(IDataReadiness readiness, PacketBatch frames, PacketBatch sends)
    {
        SocketReader vxlan = _vxlanReader!;
        SocketReader sleeve = _sleeveReader!;
        if (_heldByTapThread == DataSources.None)
        {
            // Both sockets with their threads (bulk traffic): read first and wait only when the
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
            ForwardFromBridge(frames, sends);
            return;
        }
        DataSources ready = readiness.Wait(DataSources.Bridge | _heldByTapThread, PollMilliseconds);
        RefreshHeldIfWoken(ready, vxlan, sleeve);
        ready &= DataSources.Bridge | _heldByTapThread;
        if ((_heldByTapThread & DataSources.Vxlan) != 0)
        {
            ExpireIdleMacsWhenDue(); // the VXLAN socket's chore goes with it, traffic or not
        }
        bool bulk = false;
        if ((ready & DataSources.Bridge) != 0)
        {
            frames.Count = _tap.Read(frames, 0);
            bulk |= IsBulkFromBridge(frames);
            ForwardFromBridge(frames, sends);
        }
        if ((ready & DataSources.Vxlan) != 0 && ReceiveVxlan(0) > 0)
        {
            bulk |= IsBulkFromPeers(vxlan.Datagrams);
        }
        if ((ready & DataSources.Sleeve) != 0 && ReceiveSleeve(0) > 0)
        {
            bulk |= IsBulkFromPeers(sleeve.Datagrams);
        }
        if (bulk)
        {
            HandOver(vxlan);
            HandOver(sleeve);
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

    /// <summary>A socket thread: parked while the TAP thread holds its socket, else receiving until idle.</summary>
    private void SocketLoop(SocketReader reader, Func<int, int> receive)
    {
        IDataReadiness? readiness = Readiness;
        RunUntilStopped(() =>
        {
            if (reader.WithTapThread)
            {
                reader.HandedOver.Wait(PollMilliseconds); // the flag decides; the semaphore only wakes us
                return;
            }
            if (receive(readiness is null ? PollMilliseconds : HandBackIdleMilliseconds) == 0 && readiness is not null &&
                _time.GetTimestamp() - Volatile.Read(ref _lastBridgeActivity) >= _handBackIdleTicks)
            {
                reader.WithTapThread = true; // from here on the socket is the TAP thread's
                Interlocked.Increment(ref Counters.SocketsHandedBack);
                readiness.Wake();            // so that it reads the flag and waits on the socket
            }
        });
    }

    /// <summary>Gives a socket the TAP thread holds to its own thread.</summary>
    private void HandOver(SocketReader reader)
    {
        if (!reader.WithTapThread)
        {
            return;
        }
        reader.WithTapThread = false; // from here on the socket is its thread's
        _heldByTapThread &= ~reader.Source;
        Counters.SocketsHandedOver++;
        reader.HandedOver.Release();
    }

    private static bool IsBulkFromBridge(PacketBatch frames)
    {
        if (frames.Count >= BulkBatchCount)
        {
            return true;
        }
        for (int i = 0; i < frames.Count; i++)
        {
            if (frames.Offloads[i].IsGso)
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsBulkFromPeers(PacketBatch datagrams)
    {
        if (datagrams.Count >= BulkBatchCount)
        {
            return true;
        }
        for (int i = 0; i < datagrams.Count; i++)
        {
            int segment = datagrams.SegmentSizes[i];
            if (segment > 0 && datagrams.Lengths[i] > segment)
            {
                return true; // a GRO run
            }
        }
        return false;
    }

    /// <summary>Stops the socket threads' waits for a hand-over, for a prompt shutdown.</summary>
    private void ReleaseReaders()
    {
        _vxlanReader?.HandedOver.Release();
        _sleeveReader?.HandedOver.Release();
        Readiness?.Wake();
    }

    private void DisposeReaders()
    {
        _vxlanReader?.HandedOver.Dispose();
        _sleeveReader?.HandedOver.Dispose();
    }

    /// <summary>A UDP socket's receive side: what moves with the socket between threads.</summary>
    private sealed class SocketReader
    {
        public SocketReader(DataSources source, IDatagramTransport transport, int firstFrameOffset)
        {
            Source = source;
            Datagrams = new PacketBatch(transport.BatchSize, allocateBuffers: true);
            Array.Fill(Datagrams.Offsets, firstFrameOffset);
        }

        public DataSources Source { get; }

        public PacketBatch Datagrams { get; }

        public PacketBatch Frames { get; } = new(BridgeBatchSize, allocateBuffers: false);

        public SemaphoreSlim HandedOver { get; } = new(0);

        /// <summary>True while the TAP thread holds the socket; written only by the holder.</summary>
        public volatile bool WithTapThread;
    }
}

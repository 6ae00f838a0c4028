using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Weave.Gossip;
using Weave.Gossip.Protocol;
using Weave.Lab;

namespace Weave.EndToEnd.Hostile;

/// <summary>
/// A crowd of made-up peers against one router, from an attacker host's namespace: each speaks
/// just enough of our protocol to pass the handshake (header, an intro with a fresh name and UID,
/// written with Gossip/Protocol's own codecs), then sends a heartbeat every 10 s and never reads
/// another byte. Sockets are created inside the attacker's namespace (and keep it) and driven
/// from here; each is bound to one of the attacker's source addresses in turn, so the crowd
/// comes from many addresses. Nothing of it outlives <see cref="DisposeAsync"/>.
/// </summary>
internal sealed class FakePeers : IAsyncDisposable
{
    /// <summary>Heartbeats keep a fake alive at a router that drops connections silent for 35 s.</summary>
    private static readonly TimeSpan s_heartbeatInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_attemptTimeout = TimeSpan.FromSeconds(30);

    private readonly LabHost _attacker;
    private readonly IReadOnlyList<IPAddress> _sources;
    private readonly string _nickName;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly List<Socket> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _heartbeats;
    private int _nextSource;
    private int _closedUnderUs;

    /// <param name="nickName">What every fake calls itself (network text the router must escape before logging).</param>
    public FakePeers(LabHost attacker, IReadOnlyList<IPAddress> sources, string nickName, int seed)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
        {
            throw new ArgumentException("at least one source address", nameof(sources));
        }
        _attacker = attacker;
        _sources = sources;
        _nickName = nickName;
        _random = new Random(seed);
        _heartbeats = Task.Run(() => HeartbeatsAsync(_stop.Token));
    }

    /// <summary>Fakes whose handshake completed and whose socket still takes heartbeats.</summary>
    public int Open
    {
        get { lock (_gate) { return _open.Count; } }
    }

    /// <summary>Fakes whose heartbeat could not be written any more: the router closed them.</summary>
    public int ClosedByRouter => Volatile.Read(ref _closedUnderUs);

    /// <summary>
    /// Adds <paramref name="count"/> addresses, <c>192.168.231.(first..)</c>, to the attacker's
    /// <c>eth0</c> (the lab's underlay is a /24 whose hosts use .11 upwards), and returns them.
    /// They go with the attacker's namespace.
    /// </summary>
    public static IReadOnlyList<IPAddress> AddSourceAddresses(LabHost attacker, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(attacker);
        var addresses = new List<IPAddress>();
        for (int i = 0; i < count; i++)
        {
            var address = IPAddress.Parse(NetLab.UnderlayPrefix + (first + i).ToString(CultureInfo.InvariantCulture));
            Ip.In(attacker.Namespace, "addr", "add", $"{address}/{NetLab.UnderlayPrefixLength}", "dev", "eth0");
            addresses.Add(address);
        }
        return addresses;
    }

    /// <summary>
    /// Makes <paramref name="count"/> fakes join, <paramref name="parallel"/> at a time; each that
    /// completes the handshake stays open, sending heartbeats and reading nothing.
    /// </summary>
    public async Task<Attempts> JoinAsync(IPEndPoint router, int count, int parallel)
    {
        var attempts = new Attempts();
        await RunAsync(count, parallel, async () =>
        {
            Socket socket = NewSocket();
            try
            {
                await ConnectAndGreetAsync(socket, router);
                // Heartbeats are written without waiting: a fake whose send buffer is full is alive all the same.
                socket.Blocking = false;
                attempts.Count(null);
                lock (_gate)
                {
                    _open.Add(socket);
                }
            }
            catch (Exception e) when (e is SocketException or IOException or ProtocolException or OperationCanceledException)
            {
                attempts.Count(Describe(e));
                socket.Dispose();
            }
        });
        return attempts;
    }

    /// <summary>
    /// Connections that come and go at once, <paramref name="parallel"/> at a time: a plain
    /// connect and close, a full handshake and close, or a few bytes of garbage and close.
    /// </summary>
    public async Task<Attempts> StormAsync(IPEndPoint router, int count, int parallel, Storm kind)
    {
        var attempts = new Attempts();
        await RunAsync(count, parallel, async () =>
        {
            using Socket socket = NewSocket();
            try
            {
                using var timeout = new CancellationTokenSource(s_attemptTimeout);
                await socket.ConnectAsync(router, timeout.Token);
                switch (kind)
                {
                    case Storm.Handshake:
                        await GreetAsync(socket, timeout.Token);
                        break;
                    case Storm.Garbage:
                        byte[] garbage = new byte[64];
                        lock (_random)
                        {
                            _random.NextBytes(garbage);
                        }
                        await socket.SendAsync(garbage, SocketFlags.None, timeout.Token);
                        break;
                    default:
                        break;
                }
                attempts.Count(null);
            }
            catch (Exception e) when (e is SocketException or IOException or ProtocolException or OperationCanceledException)
            {
                attempts.Count(Describe(e));
            }
        });
        return attempts;
    }

    /// <summary>Closes every open fake (an abrupt end: the router sees resets or end of stream).</summary>
    public void CloseAll()
    {
        Socket[] open;
        lock (_gate)
        {
            open = [.. _open];
            _open.Clear();
        }
        foreach (Socket socket in open)
        {
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _heartbeats;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        CloseAll();
        _stop.Dispose();
    }

    private async Task ConnectAndGreetAsync(Socket socket, IPEndPoint router)
    {
        using var timeout = new CancellationTokenSource(s_attemptTimeout);
        await socket.ConnectAsync(router, timeout.Token);
        await GreetAsync(socket, timeout.Token);
    }

    /// <summary>Our side of the handshake as a made-up peer, with the product's own code; the router's intro is read, nothing after it.</summary>
    private async Task GreetAsync(Socket socket, CancellationToken ct)
    {
        PeerIntro intro;
        lock (_random)
        {
            intro = new PeerIntro(PeerName.Random(_random), _nickName, (ulong)_random.NextInt64(1, long.MaxValue),
                (ulong)_random.NextInt64(), 6784, "fake-peer");
        }
        var stream = new NetworkStream(socket, ownsSocket: false);
        PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 512, leaveOpen: true));
        _ = await Handshake.RunAsync(stream, reader, ProtocolHeader.Ours, intro, WireFormat.HandshakeTimeout, TimeProvider.System, ct);
        // From here on nothing is read: whatever the router sends piles up in its queues.
    }

    private Socket NewSocket()
    {
        IPAddress source = _sources[(Interlocked.Increment(ref _nextSource) - 1) % _sources.Count];
        return _attacker.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });
    }

    private static async Task RunAsync(int count, int parallel, Func<Task> attempt)
    {
        using var slots = new SemaphoreSlim(parallel);
        var running = new List<Task>(count);
        for (int i = 0; i < count; i++)
        {
            await slots.WaitAsync();
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await attempt();
                }
                finally
                {
                    slots.Release();
                }
            }));
        }
        await Task.WhenAll(running);
    }

    private async Task HeartbeatsAsync(CancellationToken ct)
    {
        byte[] heartbeat = FrameCodec.Encode(FrameTag.Heartbeat, []);
        using var timer = new PeriodicTimer(s_heartbeatInterval);
        while (await timer.WaitForNextTickAsync(ct))
        {
            Socket[] open;
            lock (_gate)
            {
                open = [.. _open];
            }
            foreach (Socket socket in open)
            {
                bool alive;
                try
                {
                    alive = socket.Send(heartbeat, SocketFlags.None, out SocketError error) == heartbeat.Length ||
                        error is SocketError.WouldBlock or SocketError.Success;
                }
                catch (ObjectDisposedException)
                {
                    alive = false;
                }
                if (!alive)
                {
                    lock (_gate)
                    {
                        _open.Remove(socket);
                    }
                    Interlocked.Increment(ref _closedUnderUs);
                    socket.Dispose();
                }
            }
        }
    }

    private static string Describe(Exception e) => e switch
    {
        SocketException s => s.SocketErrorCode.ToString(),
        OperationCanceledException => "timed out",
        ProtocolException p => p.Message.StartsWith("connection closed", StringComparison.Ordinal) ? "closed during the handshake" : p.Message,
        _ => e.GetType().Name,
    };

    /// <summary>What a storm's connections do before closing.</summary>
    public enum Storm
    {
        /// <summary>Connect, close.</summary>
        Connect,

        /// <summary>Connect, complete the handshake, close.</summary>
        Handshake,

        /// <summary>Connect, send 64 random bytes, close.</summary>
        Garbage,
    }

    /// <summary>How attempts ended: completed, or failed by reason.</summary>
    public sealed class Attempts
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);

        public int Completed { get; private set; }

        public int Failed { get; private set; }

        internal void Count(string? failure)
        {
            lock (_gate)
            {
                if (failure is null)
                {
                    Completed++;
                    return;
                }
                Failed++;
                _failures[failure] = _failures.GetValueOrDefault(failure) + 1;
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                string reasons = string.Join(", ", _failures.OrderByDescending(f => f.Value).Select(f => $"{f.Key}: {f.Value}"));
                return $"{Completed} completed, {Failed} failed{(Failed > 0 ? $" ({reasons})" : "")}";
            }
        }
    }
}

using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Weave.Linux;

namespace Weave.Router.Clusters;

/// <summary>
/// Keeps a route onto the bridge for every peered cluster's range (<see cref="ClusterView.PeeredRanges"/>),
/// so the host's traffic to another cluster's pods, and pods' through their default gateway,
/// enters the overlay: no NAT, the pods' addresses kept. A range whose last reachable router is
/// gone loses its route. The mesh loop hands over what it wants (<see cref="Want"/>) and goes
/// on; this loop applies the latest wish, so a burst of topology changes costs one pass. It
/// also checks the kernel every <see cref="RecheckInterval"/>: a route someone deleted comes back,
/// and routes a bridge took with it when it went down are put back once it is up.
/// </summary>
internal sealed class PeeredRangeRoutes
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>How soon a pass that failed is tried again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly IPeeredRoutes _routes;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private volatile IReadOnlyList<IPNetwork> _wanted = [];
    private string? _lastError;

    public PeeredRangeRoutes(IPeeredRoutes routes, TimeProvider time, ILogger log)
    {
        _routes = routes;
        _time = time;
        _log = log;
    }

    /// <summary>From any thread: these ranges should be routed, and no others of ours.</summary>
    public void Want(IReadOnlyList<IPNetwork> ranges)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (ranges.SequenceEqual(_wanted))
        {
            return;
        }
        _wanted = ranges;
        _changed.Writer.TryWrite(true);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        ChannelReader<bool> changed = _changed.Reader;
        while (!ct.IsCancellationRequested)
        {
            _ = changed.TryRead(out _);
            TimeSpan next = Reconcile() ? RecheckInterval : RetryInterval;
            try
            {
                await changed.WaitToReadAsync(ct).AsTask().WaitAsync(next, _time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Time to check the kernel again.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One pass: removes our routes that are not wanted, adds the wanted ones that are missing.
    /// Returns false when the kernel refused: logged once until the reason changes (a missing
    /// bridge would repeat every pass), and tried again after <see cref="RetryInterval"/>.
    /// </summary>
    public bool Reconcile()
    {
        IReadOnlyList<IPNetwork> wanted = _wanted;
        try
        {
            IReadOnlyList<IPNetwork> present = _routes.List();
            foreach (IPNetwork range in present.Where(r => !wanted.Contains(r)))
            {
                if (_routes.Remove(range))
                {
                    RouterLog.PeeredRouteRemoved(_log, range.ToString(), _routes.Bridge);
                }
            }
            foreach (IPNetwork range in wanted.Where(r => !present.Contains(r)))
            {
                _routes.Add(range);
                RouterLog.PeeredRouteAdded(_log, range.ToString(), _routes.Bridge);
            }
            _lastError = null;
            return true;
        }
        catch (Exception e) when (e is LinuxError or InvalidOperationException)
        {
            if (e.Message != _lastError)
            {
                RouterLog.PeeredRoutesFailed(_log, e.Message, (int)RetryInterval.TotalSeconds);
                _lastError = e.Message;
            }
            return false;
        }
    }
}

using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Weave.Kube;
using Weave.Linux.Nftables;
using Weave.Npc;
using Weave.Npc.Enforcement;

namespace Weave.Router.Policy;

/// <summary>
/// <c>weave npc</c>'s one loop: takes in what the followers report, and once namespaces, pods and
/// policies have all been listed, keeps table <c>inet weave-npc</c> equal to what this node must
/// enforce. Updates that arrive together are taken together (one computation, one nft transaction).
/// Nothing is written before the first complete picture, so a restart leaves the previous table in
/// force until it is replaced whole; while the API is unreachable nothing changes.
/// </summary>
internal sealed class PolicyController
{
    /// <summary>How often the table's presence, br_netfilter and the drop counters are checked.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    /// <summary>After a failed write, the next attempt.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After an update wakes the loop, how long it gathers more before computing: a kubectl apply of
    /// many objects arrives as a burst of events, best answered with one transaction.
    /// </summary>
    public static readonly TimeSpan GatherWindow = TimeSpan.FromMilliseconds(20);

    private readonly string _node;
    private readonly DropLog? _dropLog;
    private readonly PolicyTable _table;
    private readonly ChannelReader<ResourceUpdate> _updates;
    private readonly BridgeNetfilter? _bridge;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly PolicyCluster _cluster;
    private long _refusals;
    private bool _pending;
    private long? _retryAt;
    private volatile PolicySnapshot _snapshot = PolicySnapshot.Empty;
    private volatile EnforcementPlan? _plan;
    private volatile NpcStatus _status = new();

    /// <param name="dropLog">Where the table sends copies of dropped packets for <see cref="DropLogger"/>; null: counted only.</param>
    public PolicyController(string node, PolicyTable table, ChannelReader<ResourceUpdate> updates, BridgeNetfilter? bridge, TimeProvider time, ILogger log,
        DropLog? dropLog = null)
    {
        _dropLog = dropLog;
        _node = node;
        _table = table;
        _updates = updates;
        _bridge = bridge;
        _time = time;
        _log = log;
        _cluster = new PolicyCluster(refused =>
        {
            _refusals++;
            NpcLog.Refused(_log, refused.Resource, refused.Key, refused.Reason);
        });
    }

    public string NodeName => _node;

    public PolicySnapshot Snapshot => _snapshot;

    /// <summary>What the table holds (null before the first write).</summary>
    public EnforcementPlan? Plan => _plan;

    public NpcStatus Status => _status;

    public DropTally Drops { get; } = new();

    public async Task RunAsync(CancellationToken ct)
    {
        _bridge?.Ensure();
        long nextCheck = _time.GetTimestamp() + Ticks(CheckInterval);
        while (true)
        {
            long wakeAt = Math.Min(nextCheck, _retryAt ?? long.MaxValue);
            if (!await WaitForUpdatesAsync(wakeAt, ct).ConfigureAwait(false))
            {
                return;
            }
            Step();
            if (_time.GetTimestamp() >= nextCheck)
            {
                Check();
                nextCheck = _time.GetTimestamp() + Ticks(CheckInterval);
            }
        }
    }

    /// <summary>
    /// One turn of the loop: takes in every update waiting, then, once the picture is complete,
    /// writes what changed (unless a failed write's retry is not due yet).
    /// </summary>
    internal void Step()
    {
        while (_updates.TryRead(out ResourceUpdate? update))
        {
            _pending |= _cluster.Apply(update);
        }
        _snapshot = _cluster.Snapshot();
        _status = _status with { Synced = _cluster.Synced, Refusals = _refusals };
        long now = _time.GetTimestamp();
        if (_cluster.Synced && (_pending || _table.Applied is null) && (_retryAt is null || now >= _retryAt))
        {
            _pending = !Enforce();
            _retryAt = _pending ? now + Ticks(RetryInterval) : null;
        }
    }

    /// <summary>Waits for an update (then gathers its burst) or until <paramref name="wakeAt"/>; false when the followers are done.</summary>
    private async Task<bool> WaitForUpdatesAsync(long wakeAt, CancellationToken ct)
    {
        TimeSpan wait = TimeSpan.FromSeconds(Math.Max(0, wakeAt - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
        using var timer = new CancellationTokenSource(wait, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            if (!await _updates.WaitToReadAsync(either.Token).ConfigureAwait(false))
            {
                return false;
            }
            await Task.Delay(GatherWindow, _time, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The timer: time for a check or a retry.
        }
        return true;
    }

    /// <summary>Computes this node's plan from the current snapshot and writes what changed; false on failure.</summary>
    private bool Enforce()
    {
        PolicySnapshot snapshot = _snapshot;
        long started = _time.GetTimestamp();
        EnforcementPlan plan = EnforcementCompiler.Compile(snapshot.Namespaces, snapshot.Pods, snapshot.Policies, _node) with { DropLog = _dropLog };
        long compiled = _time.GetTimestamp();
        bool whole = _table.Applied is null;
        if (_plan is { } before && before.Chains.Keys.Any(name => !plan.Chains.ContainsKey(name)))
        {
            CountDrops(); // before the change removes a chain, and its counter with it
        }
        int bytes;
        try
        {
            bytes = _table.Write(plan);
        }
        catch (NftablesException e)
        {
            NpcLog.ApplyFailed(_log, e.Message);
            _status = _status with { ApplyFailures = _status.ApplyFailures + 1, LastError = e.Message };
            return false;
        }
        long done = _time.GetTimestamp();
        _plan = plan;
        if (bytes > 0)
        {
            _status = _status with
            {
                AppliedGeneration = snapshot.Generation,
                LastApplied = _time.GetUtcNow(),
                LastApplySeconds = _time.GetElapsedTime(started, done).TotalSeconds,
                LastScriptBytes = bytes,
                Applies = _status.Applies + 1,
                LastError = null,
            };
            if (whole)
            {
                NpcLog.Enforcing(_log, snapshot.Namespaces.Length, snapshot.Pods.Length, snapshot.Policies.Length,
                    plan.Chains.Values.Count(c => c.Direction == FlowDirection.Ingress), plan.Chains.Values.Count(c => c.Direction == FlowDirection.Egress),
                    bytes, (long)_time.GetElapsedTime(started, done).TotalMilliseconds);
            }
            else
            {
                NpcLog.Applied(_log, bytes, (long)_time.GetElapsedTime(started, done).TotalMilliseconds, (long)_time.GetElapsedTime(started, compiled).TotalMilliseconds);
            }
        }
        else
        {
            _status = _status with { AppliedGeneration = snapshot.Generation };
        }
        return true;
    }

    /// <summary>The periodic check: br_netfilter's switches, the table still there (else written again), the drop counters.</summary>
    internal void Check()
    {
        _bridge?.Ensure();
        if (_table.Applied is null)
        {
            return;
        }
        try
        {
            if (!_table.IsPresent())
            {
                NpcLog.TableRestored(_log, $"{NftRuleset.Family} {NftRuleset.Table}");
                _table.Forget();
                _status = _status with { TableRestores = _status.TableRestores + 1 };
                Enforce();
                return;
            }
        }
        catch (NftablesException e)
        {
            NpcLog.ApplyFailed(_log, e.Message);
            return;
        }
        CountDrops();
    }

    /// <summary>Adds what the kernel's drop counters grew by to <see cref="Drops"/>. Called by the loop and by /metrics.</summary>
    public void CountDrops()
    {
        if (_plan is not { } plan)
        {
            return;
        }
        try
        {
            Drops.Add(plan, _table.ReadCounters());
        }
        catch (NftablesException e)
        {
            NpcLog.CountersFailed(_log, e.Message);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}

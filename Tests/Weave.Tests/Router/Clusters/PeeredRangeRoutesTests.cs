using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Weave.Lab;
using Weave.Linux;
using Weave.Router.Clusters;
using Weave.Router.Clusters.Linux;
using Weave.Tests.Kube;
using Xunit;

namespace Weave.Tests.Router.Clusters;

public sealed class PeeredRangeRoutesTests
{
    private static readonly IPNetwork s_b = IPNetwork.Parse("10.48.0.0/16");
    private static readonly IPNetwork s_c = IPNetwork.Parse("10.49.0.0/16");
    private static readonly IPNetwork s_stale = IPNetwork.Parse("10.50.0.0/16");

    /// <summary>Routes as a list; <see cref="Failure"/> makes every call throw as netlink would.</summary>
    private sealed class ListRoutes : IPeeredRoutes
    {
        private readonly Lock _gate = new();
        private readonly List<IPNetwork> _routes = [];

        public Exception? Failure { get; set; }

        /// <summary>Completes when the list holds exactly what a test waits for.</summary>
        public TaskCompletionSource<bool>? Reached { get; set; }

        public IReadOnlyList<IPNetwork>? Awaited { get; set; }

        public string Bridge => "weave";

        public IReadOnlyList<IPNetwork> List()
        {
            ThrowIfFailing();
            lock (_gate)
            {
                return [.. _routes];
            }
        }

        public void Add(IPNetwork range)
        {
            ThrowIfFailing();
            lock (_gate)
            {
                if (!_routes.Contains(range))
                {
                    _routes.Add(range);
                }
                if (Awaited is { } awaited && _routes.Select(r => r.ToString()).Order(StringComparer.Ordinal).SequenceEqual(awaited.Select(r => r.ToString()).Order(StringComparer.Ordinal)))
                {
                    Reached?.TrySetResult(true);
                }
            }
        }

        public bool Remove(IPNetwork range)
        {
            ThrowIfFailing();
            lock (_gate)
            {
                return _routes.Remove(range);
            }
        }

        private void ThrowIfFailing()
        {
            if (Failure is { } failure)
            {
                throw failure;
            }
        }
    }

    [Fact]
    public void Reconcile_AddsTheWantedRanges_AndRemovesOursThatAreNot()
    {
        var routes = new ListRoutes();
        routes.Add(s_stale); // left by an earlier run for a cluster no longer peered
        routes.Add(s_b);
        var keeper = new PeeredRangeRoutes(routes, TimeProvider.System, NullLogger.Instance);
        keeper.Want([s_b, s_c]);

        Assert.True(keeper.Reconcile());

        Assert.Equal([s_b, s_c], routes.List().OrderBy(r => r.ToString()));
        keeper.Want([s_c]);
        Assert.True(keeper.Reconcile());
        Assert.Equal([s_c], routes.List());
    }

    [Fact]
    public void Reconcile_WhenTheKernelRefuses_LogsOnceUntilTheReasonChanges_AndSaysToTryAgain()
    {
        var routes = new ListRoutes { Failure = new InvalidOperationException("bridge weave does not exist") };
        var log = new ListLogger();
        var keeper = new PeeredRangeRoutes(routes, TimeProvider.System, log);
        keeper.Want([s_b]);

        Assert.False(keeper.Reconcile());
        Assert.False(keeper.Reconcile());
        Assert.Equal(1, log.Count("bridge weave does not exist"));

        routes.Failure = null;
        Assert.True(keeper.Reconcile());
        Assert.Equal([s_b], routes.List());
        Assert.Equal(1, log.Count("Peered cluster range 10.48.0.0/16: routed onto bridge weave"));
    }

    [Fact]
    public async Task RunAsync_AppliesEachNewWish_WithoutWaitingForTheRecheck()
    {
        var routes = new ListRoutes();
        var time = new FakeTimeProvider();
        var keeper = new PeeredRangeRoutes(routes, time, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        Task loop = Task.Run(() => keeper.RunAsync(stop.Token));

        routes.Reached = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        routes.Awaited = [s_b, s_c];
        keeper.Want([s_b, s_c]);
        Assert.True(await routes.Reached.Task.WaitAsync(TimeSpan.FromSeconds(10)));

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [RootFact]
    public void NetlinkPeeredRoutes_AddListRemove_OnlyOurOwnRoutes()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        TempNetns.Ip("-n", ns.Name, "link", "add", "weave", "type", "bridge");
        TempNetns.Ip("-n", ns.Name, "addr", "add", "10.32.0.1/12", "dev", "weave");
        TempNetns.Ip("-n", ns.Name, "link", "set", "weave", "up");
        // Someone else's route onto the bridge, and one of ours from an earlier run.
        TempNetns.Ip("-n", ns.Name, "route", "add", "192.168.50.0/24", "dev", "weave");
        TempNetns.Ip("-n", ns.Name, "route", "add", "10.50.0.0/16", "dev", "weave", "proto", NetlinkPeeredRoutes.Protocol.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var routes = new NetlinkPeeredRoutes("weave");
        var keeper = new PeeredRangeRoutes(routes, TimeProvider.System, NullLogger.Instance);

        ns.Run(() =>
        {
            Assert.Equal([s_stale], routes.List());
            keeper.Want([s_b, s_c]);
            Assert.True(keeper.Reconcile());
            Assert.Equal([s_b, s_c], routes.List().OrderBy(r => r.ToString()));
        });

        string[] ours = [.. TempNetns.Ip("-n", ns.Name, "route", "show", "proto", "87").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim())];
        Assert.Equal(["10.48.0.0/16 dev weave scope link", "10.49.0.0/16 dev weave scope link"], ours);
        string all = TempNetns.Ip("-n", ns.Name, "route", "show", "dev", "weave");
        Assert.Contains("192.168.50.0/24 scope link", all, StringComparison.Ordinal);
        Assert.Contains("10.32.0.0/12 proto kernel scope link src 10.32.0.1", all, StringComparison.Ordinal);

        ns.Run(() =>
        {
            keeper.Want([]);
            Assert.True(keeper.Reconcile());
            Assert.Empty(routes.List());
            Assert.False(routes.Remove(s_b));
        });
        Assert.Equal("", TempNetns.Ip("-n", ns.Name, "route", "show", "proto", "87").Trim());
        Assert.Contains("192.168.50.0/24", TempNetns.Ip("-n", ns.Name, "route", "show", "dev", "weave"), StringComparison.Ordinal);
    }

    [RootFact]
    public void NetlinkPeeredRoutes_WithoutTheBridge_ListsNothing_AndAddSaysWhy()
    {
        RootFactAttribute.Require();
        using var ns = new TempNetns();
        var routes = new NetlinkPeeredRoutes("weave");
        ns.Run(() =>
        {
            Assert.Empty(routes.List());
            Assert.Equal("bridge weave does not exist", Assert.Throws<InvalidOperationException>(() => routes.Add(s_b)).Message);
        });
    }
}

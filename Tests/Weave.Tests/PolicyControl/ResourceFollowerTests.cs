using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Weave.Kube;
using Weave.Kube.Api;
using Weave.Tests.Kube;
using Weave.Tests.Npc;
using Xunit;

namespace Weave.Tests.PolicyControl;

/// <summary>
/// Following one kind of object: every page listed, then the watch; a list again after 410 Gone and
/// after the API was unreachable, so what was deleted meanwhile goes; nothing reported meanwhile.
/// </summary>
public sealed class ResourceFollowerTests : IAsyncDisposable
{
    private readonly FakeKubeResources _api = new();
    private readonly Channel<ResourceUpdate> _updates = Channel.CreateUnbounded<ResourceUpdate>();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly ListLogger _log = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;

    private void Start() =>
        _run = new ResourceFollower(_api, KubeResource.Pods, _updates.Writer, _time, _log).RunAsync(_stop.Token);

    private void PutPod(string name) => _api.Put(KubeResource.Pods, ApiJsonWriter.Write(Cluster.Pod("a", name, "10.32.0.1")));

    /// <summary>The next update, moving the fake clock on while the follower waits.</summary>
    private async Task<ResourceUpdate> NextAsync()
    {
        for (int i = 0; i < 2000; i++)
        {
            if (_updates.Reader.TryRead(out ResourceUpdate? update))
            {
                return update;
            }
            if (_run!.IsFaulted)
            {
                await _run;
            }
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }
        throw new TimeoutException("the follower reported nothing");
    }

    private static string[] Names(ResourceUpdate update) =>
        [.. update.Listed!.Select(i => i.GetProperty("metadata").GetProperty("name").GetString()!)];

    [Fact]
    public async Task Run_ListsEveryPage_ThenReportsEachChange()
    {
        foreach (string name in (string[])["p1", "p2", "p3", "p4", "p5"])
        {
            PutPod(name);
        }
        Start();
        ResourceUpdate listed = await NextAsync();
        Assert.Equal(["p1", "p2", "p3", "p4", "p5"], Names(listed));
        Assert.Equal(3, _api.Lists); // two per page

        PutPod("p6");
        _api.Delete(KubeResource.Pods, "a/p1");
        ResourceUpdate added = await NextAsync();
        Assert.Equal(KubeEventKind.Added, added.Change!.Kind);
        Assert.Equal("p6", added.Change.Item.GetProperty("metadata").GetProperty("name").GetString());
        ResourceUpdate deleted = await NextAsync();
        Assert.Equal(KubeEventKind.Deleted, deleted.Change!.Kind);
    }

    [Fact]
    public async Task Run_VersionTooOld_ListsAgain()
    {
        PutPod("p1");
        Start();
        Assert.Equal(["p1"], Names(await NextAsync()));
        PutPod("p2");
        Assert.NotNull((await NextAsync()).Change);
        _api.Compact();
        Assert.Equal(["p1", "p2"], Names(await NextAsync()));
    }

    [Fact]
    public async Task Run_ApiUnreachable_ReportsNothing_ThenListsAgainWithoutWhatWasDeletedMeanwhile()
    {
        PutPod("p1");
        PutPod("p2");
        Start();
        Assert.Equal(["p1", "p2"], Names(await NextAsync()));

        _api.Fault = what => FakeKubeResources.Unreachable(what);
        _api.DropWatches();
        _api.Delete(KubeResource.Pods, "a/p1"); // while nobody watches
        for (int i = 0; i < 50; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }
        Assert.False(_updates.Reader.TryRead(out _), "nothing is reported while the API is unreachable: the reader keeps what it had");
        Assert.Equal(1, _log.Count("cannot reach the Kubernetes API"));

        _api.Fault = _ => null;
        Assert.Equal(["p2"], Names(await NextAsync()));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }
}

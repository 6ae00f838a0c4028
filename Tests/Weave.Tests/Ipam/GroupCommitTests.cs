using Weave.Ipam;
using Weave.Ipam.Store;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>
/// Group commit, driven by hand as the router's loop drives it: the changes of a turn go into one
/// write, nothing is answered or sent before the write holding it is durable, a crash before that
/// loses only what was never answered, and a failed write undoes its changes.
/// </summary>
public sealed class GroupCommitTests
{
    private static IpamTestHost GroupHost(IpamOptions? options = null)
    {
        var host = new IpamTestHost(options);
        host.Allocator.GroupCommit = true;
        return host;
    }

    [Fact]
    public void OperationsOfOneTurn_AreSavedWithOneWrite_AndAnsweredOnlyWhenItIsDurable()
    {
        IpamTestHost host = GroupHost();
        int saves = host.Store.Saves;
        Task<AllocationResult>[] answers = [.. Enumerable.Range(0, 5).Select(i => host.Allocator.Allocate($"pod{i}"))];
        Task<AllocationResult> released = host.Allocator.Release("pod0");

        Assert.All(answers, a => Assert.False(a.IsCompleted));
        Assert.False(released.IsCompleted);
        StateWrite write = host.Allocator.NextWrite()!;
        Assert.Null(host.Allocator.NextWrite());
        Assert.Equal(6, write.Waiting);
        Assert.Null(host.Allocator.Save(write));
        Assert.Equal(saves + 1, host.Store.Saves);
        Assert.All(answers, a => Assert.False(a.IsCompleted));

        host.Allocator.Written(write, null);
        Assert.Equal(["10.32.0.1/26", "10.32.0.2/26", "10.32.0.3/26", "10.32.0.4/26", "10.32.0.5/26"], answers.Select(a => a.Done().ToString()));
        Assert.True(released.Done().Succeeded);
        Assert.Equal(["pod1", "pod2", "pod3", "pod4"], host.Store.Load()!.Allocations.Select(a => a.Id));
        Assert.Null(host.Allocator.NextWrite());
    }

    [Fact]
    public void ChangesWhileAWriteIsInFlight_GoIntoTheNext_AndARepeatedRequestWaitsForItsWrite()
    {
        IpamTestHost host = GroupHost();
        Task<AllocationResult> a = host.Allocator.Allocate("a");
        StateWrite first = host.Allocator.NextWrite()!;
        Task<AllocationResult> again = host.Allocator.Allocate("a");
        Task<AllocationResult> b = host.Allocator.Allocate("b");
        Assert.Null(host.Allocator.NextWrite());
        // a is known here already, but not yet durable: the repeated request waits for a's write.
        Assert.False(again.IsCompleted);

        host.Allocator.Written(first, host.Allocator.Save(first));
        Assert.Equal("10.32.0.1/26", a.Done().ToString());
        Assert.Equal("10.32.0.1/26", again.Done().ToString());
        Assert.False(b.IsCompleted);

        StateWrite second = host.Allocator.NextWrite()!;
        // The second write holds only what changed after the first: b.
        Assert.Equal(["b"], second.Changes.Ids.Select(x => x.Id));
        host.Allocator.Written(second, host.Allocator.Save(second));
        Assert.Equal("10.32.0.2/26", b.Done().ToString());
        Assert.Equal(["a", "b"], host.Store.Load()!.Allocations.Select(x => x.Id).Order());
    }

    [Fact]
    public void ACrashBeforeTheWriteIsDurable_LosesOnlyWhatWasNeverAnswered()
    {
        IpamTestHost host = GroupHost();
        Task<AllocationResult> a = host.Allocator.Allocate("a");
        StateWrite first = host.Allocator.NextWrite()!;
        host.Allocator.Written(first, host.Allocator.Save(first));
        Assert.True(a.Done().Succeeded);

        Task<AllocationResult> b = host.Allocator.Allocate("b");
        _ = host.Allocator.NextWrite()!;
        // The process dies here, the write not yet on disk: b was never answered.
        host.Restart();

        Assert.False(b.IsCompleted);
        Assert.Equal("a", Assert.Single(host.Allocator.List()).Id);
        Assert.Equal("10.32.0.2/26", host.Allocator.Allocate("c").Done().ToString());
    }

    [Fact]
    public void AFailedWrite_UndoesItsChanges_AnswersThemWithTheError_AndSendsNothing()
    {
        IpamTestHost host = GroupHost();
        Task<AllocationResult> a = host.Allocator.Allocate("a");
        StateWrite first = host.Allocator.NextWrite()!;
        host.Allocator.Written(first, host.Allocator.Save(first));
        Assert.True(a.Done().Succeeded);

        Task<AllocationResult> b = host.Allocator.Allocate("b");
        Task<AllocationResult> releaseA = host.Allocator.Release("a");
        StateWrite failing = host.Allocator.NextWrite()!;
        Task<AllocationResult> c = host.Allocator.Allocate("c");
        host.Store.FailSaves = true;
        host.Allocator.Written(failing, host.Allocator.Save(failing));

        Assert.Equal(IpamErrorKind.StoreFailed, b.Done().Error);
        Assert.Equal(IpamErrorKind.StoreFailed, releaseA.Done().Error);
        // c was made on top of the failed changes: undone with them.
        Assert.Equal(IpamErrorKind.StoreFailed, c.Done().Error);
        Assert.Equal("a", Assert.Single(host.Allocator.List()).Id);
        host.Allocator.CheckInvariants();
        Assert.Contains(host.Logs, l => l.EventId == 3002 && l.Level == IpamLogLevel.Error);
        Assert.Null(host.Allocator.NextWrite());

        host.Store.FailSaves = false;
        Task<AllocationResult> d = host.Allocator.Allocate("d");
        StateWrite next = host.Allocator.NextWrite()!;
        host.Allocator.Written(next, host.Allocator.Save(next));
        Assert.Equal("10.32.0.2/26", d.Done().ToString());
        host.Restart();
        Assert.Equal(["a", "d"], host.Allocator.List().Select(x => x.Id));
    }

    [Fact]
    public void AConsensusPromise_LeavesOnlyOnceDurable_AndGossipShowsTheDurableState()
    {
        IpamTestHost host = GroupHost(new IpamOptions(Cidr.Parse("10.32.0.0/26"), IpamInit.Consensus(2)));
        byte[] before = host.Allocator.FullState();
        Task<AllocationResult> a = host.Allocator.Allocate("a");
        Assert.Empty(host.Sent);
        Assert.Equal(before, host.Allocator.FullState());

        StateWrite write = host.Allocator.NextWrite()!;
        host.Allocator.Written(write, host.Allocator.Save(write));

        Assert.NotEmpty(host.Sent);
        Assert.NotEqual(before, host.Allocator.FullState());
        Assert.Equal(host.Sent[^1].Bytes, host.Allocator.FullState());
        Assert.False(a.IsCompleted);
    }
}

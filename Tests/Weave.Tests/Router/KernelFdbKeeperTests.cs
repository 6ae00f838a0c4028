using System.Net;
using Weave.Router.DataPlane.Kernel;
using Weave.Tests.Router.Fakes;
using Xunit;
using Want = Weave.Router.DataPlane.Kernel.KernelFdbKeeper.Want;

namespace Weave.Tests.Router;

/// <summary>
/// The kernel path's forwarding entries against a model of the kernel's: wanted entries appear
/// (the device's entry before its pin), unwanted ones go at once when withdrawn and after the grace
/// otherwise, what an earlier run left is adopted for the grace, a MAC on our own bridge is never
/// pinned, and refused changes are counted and tried again.
/// </summary>
public sealed class KernelFdbKeeperTests
{
    private const int Vxlan = 5;
    private const int Bridge = 3;
    private const int Tap = 4;
    private const int PodPort = 9;
    private const long Grace = 15;
    private const ulong PodB = 0x02_00_00_00_0B_01;
    private const ulong PodC = 0x02_00_00_00_0C_01;
    private const ulong BridgeB = 0x02_BB_00_00_00_0B;
    private static readonly IPAddress s_hostB = IPAddress.Parse("10.9.1.2");
    private static readonly IPAddress s_hostC = IPAddress.Parse("10.9.1.3");

    private readonly ModelForwardingDatabase _fdb = new(Vxlan, Bridge);
    private readonly KernelFdbKeeper _keeper;

    public KernelFdbKeeperTests() => _keeper = new KernelFdbKeeper(_fdb, Vxlan, Bridge, Tap, Grace);

    private void Apply(long now, IReadOnlySet<IPAddress>? withdrawn = null, params Want[] wanted) =>
        _keeper.Apply(wanted, withdrawn ?? new HashSet<IPAddress>(), now);

    [Fact]
    public void Wanted_PinnedMacsGetTheirDeviceEntryFirst_UnpinnedOnlyTheDeviceEntry()
    {
        Apply(0, null, new Want(BridgeB, s_hostB, false), new Want(PodB, s_hostB, true));

        Assert.Equal(s_hostB, _fdb.Remotes[PodB]);
        Assert.Equal(s_hostB, _fdb.Remotes[BridgeB]);
        Assert.Equal([PodB], _fdb.Pins);
        Assert.True(_fdb.Log.IndexOf($"remote {PodB:x} {s_hostB}") < _fdb.Log.IndexOf($"pin {PodB:x}"));
        Assert.Equal(1, _keeper.Pinned);

        int changes = _fdb.Log.Count;
        Apply(1, null, new Want(BridgeB, s_hostB, false), new Want(PodB, s_hostB, true));
        Assert.Equal(changes, _fdb.Log.Count); // nothing to do: no flush, no rewrite
    }

    [Fact]
    public void NoLongerWanted_KeptForTheGrace_ThenUnpinnedBeforeTheDeviceEntryGoes()
    {
        Apply(0, null, new Want(PodB, s_hostB, true));
        Apply(Grace - 1);
        Assert.Equal([PodB], _fdb.Pins); // a peer restarting: its pods still reached

        Apply(Grace);
        Assert.Empty(_fdb.Pins);
        Assert.Empty(_fdb.Remotes);
        Assert.True(_fdb.Log.IndexOf($"unpin {PodB:x}") < _fdb.Log.IndexOf($"unremote {PodB:x}"));
    }

    [Fact]
    public void Withdrawn_HostsEntriesGoAtOnce_OthersStay()
    {
        Apply(0, null, new Want(PodB, s_hostB, true), new Want(PodC, s_hostC, true));

        Apply(1, new HashSet<IPAddress> { s_hostB }, new Want(PodC, s_hostC, true));

        Assert.Equal([PodC], _fdb.Pins);
        Assert.False(_fdb.Remotes.ContainsKey(PodB));
    }

    [Fact]
    public void MacMovingToAnotherHost_ItsDeviceEntryIsReplaced_AndThePinStays()
    {
        Apply(0, null, new Want(PodB, s_hostB, true));
        _fdb.Log.Clear();

        Apply(1, null, new Want(PodB, s_hostC, true));

        Assert.Equal(s_hostC, _fdb.Remotes[PodB]);
        Assert.Equal([PodB], _fdb.Pins);
        Assert.Equal([$"remote {PodB:x} {s_hostC}"], _fdb.Log);
    }

    [Fact]
    public void EntriesOfAnEarlierRun_AdoptedForTheGrace_ThenDroppedUnlessWanted()
    {
        _fdb.AddRemote(PodB, s_hostB);
        _fdb.AddFdb(Weave.Linux.FdbEntry.BridgePin(Vxlan, PodB), append: false);
        _fdb.AddRemote(PodC, s_hostC);
        _fdb.AddFdb(Weave.Linux.FdbEntry.BridgePin(Vxlan, PodC), append: false);
        _fdb.Log.Clear();

        Apply(100, null, new Want(PodC, s_hostC, true));
        Assert.Empty(_fdb.Log); // a restart changes nothing at first
        Assert.Equal(2, _keeper.Pinned);

        Apply(100 + Grace, null, new Want(PodC, s_hostC, true));
        Assert.DoesNotContain(PodB, _fdb.Pins);
        Assert.Contains(PodC, _fdb.Pins);
        Assert.Equal(new HashSet<IPAddress> { s_hostC }, _keeper.Destinations);
    }

    [Fact]
    public void MacOnOurOwnBridge_IsNeverPinned_ButOneLearnedOnTheTapIs()
    {
        _fdb.Learn(PodB, PodPort); // moved here: a pod of ours has it
        _fdb.Learn(PodC, Tap);     // the router delivered frames from it: still remote

        Apply(0, null, new Want(PodB, s_hostB, true), new Want(PodC, s_hostC, true));

        Assert.Equal([PodC], _fdb.Pins);
    }

    [Fact]
    public void RefusedChanges_AreCounted_AndTriedAgainNextPass()
    {
        _fdb.Refuse = e => e.InBridge;
        Apply(0, null, new Want(PodB, s_hostB, true));
        Assert.Equal(1, _keeper.Failed);
        Assert.NotNull(_keeper.LastFailure);
        Assert.Empty(_fdb.Pins);

        _fdb.Refuse = null;
        Apply(1, null, new Want(PodB, s_hostB, true));
        Assert.Equal([PodB], _fdb.Pins);
    }
}

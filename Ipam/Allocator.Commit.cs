using Weave.Gossip;
using Weave.Ipam.Consensus;
using Weave.Ipam.Store;

namespace Weave.Ipam;

/// <summary>
/// Group commit. A change is made in memory at once and marks the state unsaved; what it lets out
/// (an answer to a request, a message to a peer) is held until a write that contains the change is
/// durable, so nothing is promised that a crash could take back. With <see cref="GroupCommit"/>
/// the host takes one <see cref="StateWrite"/> for all the changes of a loop turn
/// (<see cref="NextWrite"/>), saves it off the loop (<see cref="Save"/>) and reports back
/// (<see cref="Written"/>); changes made while a write is in flight go into the next one. Without
/// it (tests, simulations) every call writes its own changes before it returns.
/// <para>
/// A failed write undoes every change since the last durable one, as a crash and restart would: the
/// held answers become failures and the held messages are dropped, so no peer and no client ever
/// saw them.
/// </para>
/// <para>
/// A write holds what changed (<see cref="IpamChanges"/>: the IDs touched, the ring or nicknames
/// when they changed), so it costs what changed rather than what is held; the allocator keeps a
/// copy of the durable state (<see cref="_durable"/>) to undo to, and for the store to write whole.
/// </para>
/// </summary>
public sealed partial class Allocator
{
    private static readonly IReadOnlyDictionary<string, string> s_noMetadata = new Dictionary<string, string>();

    /// <summary>The state as the last durable write left it: changed on the loop only in <see cref="Written"/>, so a save off the loop may read it.</summary>
    private IpamImage _durable = null!;
    private byte[] _durableFullState = null!;
    private bool _durableHandedOff;
    private readonly HashSet<string> _dirtyIds = new(StringComparer.Ordinal);
    private bool _unsaved;
    private List<Action<bool>> _held = [];
    private StateWrite? _writing;

    /// <summary>Set by the host before it starts the loop: it writes the state (<see cref="NextWrite"/>), not each call.</summary>
    public bool GroupCommit { get; set; }

    /// <summary>Changes or outputs wait for a write.</summary>
    private bool Undurable => _unsaved || _writing is not null;

    /// <summary>
    /// The state to write now: all changes not yet written, when there are any and no write is in
    /// flight (one at a time, so writes land in order); else null.
    /// </summary>
    public StateWrite? NextWrite()
    {
        if (!_unsaved || _writing is not null)
        {
            return null;
        }
        _writing = new StateWrite(TakeChanges(), _held, FullStateNow(), _handedOff);
        _held = [];
        _unsaved = false;
        return _writing;
    }

    /// <summary>Off the loop: encodes the changes and saves them durably; the failure, or null.</summary>
    public Exception? Save(StateWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        return Save(write.Changes);
    }

    private Exception? Save(IpamChanges changes)
    {
        try
        {
            _store.Save(changes, () =>
            {
                IpamImage next = _durable.Copy();
                next.Apply(changes);
                return next.ToState();
            });
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e;
        }
    }

    /// <summary>On the loop, when <paramref name="write"/> is durable (<paramref name="failure"/> null) or failed.</summary>
    public void Written(StateWrite write, Exception? failure)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (!ReferenceEquals(write, _writing))
        {
            throw new InvalidOperationException("not the write in flight");
        }
        _writing = null;
        if (failure is null)
        {
            _durable.Apply(write.Changes);
            _durableFullState = write.FullState;
            _durableHandedOff = write.HandedOff;
            foreach (Action<bool> output in write.Held)
            {
                output(true);
            }
        }
        else
        {
            List<Action<bool>> lost = [.. write.Held, .. _held];
            _held = [];
            _unsaved = false;
            Restore();
            Emit(IpamLogLevel.Error, 3002,
                $"saving the IPAM state failed, the changes since the last save are undone ({lost.Count} answers and messages withheld): {failure.Message}");
            foreach (Action<bool> output in lost)
            {
                output(false);
            }
            Progress();
        }
        FlushLog();
    }

    /// <summary>The state changed in memory: it goes into the next write.</summary>
    private void MarkUnsaved() => _unsaved = true;

    /// <summary>Lets <paramref name="output"/> out once every change made so far is durable (true), or when that failed (false).</summary>
    private void Output(Action<bool> output)
    {
        if (_unsaved)
        {
            _held.Add(output);
        }
        else if (_writing is not null)
        {
            _writing.Held.Add(output);
        }
        else
        {
            output(true);
        }
    }

    private void Send(PeerName destination, byte[] message) => Output(durable =>
    {
        if (durable)
        {
            _channel?.Unicast(destination, message);
        }
    });

    private void Broadcast(byte[] message) => Output(durable =>
    {
        if (durable)
        {
            _channel?.Broadcast(message);
        }
    });

    private static readonly AllocationResult s_notSaved = AllocationResult.Failure(IpamErrorKind.StoreFailed, "could not save the IPAM state; nothing changed");

    private void Answer(TaskCompletionSource<AllocationResult> completion, AllocationResult result) =>
        Output(durable => completion.TrySetResult(durable ? result : s_notSaved));

    private Task<AllocationResult> Answer(AllocationResult result)
    {
        var completion = new TaskCompletionSource<AllocationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Answer(completion, result);
        return completion.Task;
    }

    private Task<RemovePeerResult> Answer(RemovePeerResult result)
    {
        var completion = new TaskCompletionSource<RemovePeerResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        Output(durable => completion.TrySetResult(durable ? result : RemovePeerResult.Failure(IpamErrorKind.StoreFailed, s_notSaved.Message)));
        return completion.Task;
    }

    /// <summary>A relay or delta for the gossip layer to send now: withheld (and broadcast once durable) while changes wait.</summary>
    private byte[]? Relay(byte[]? message)
    {
        if (message is null || !Undurable)
        {
            return message;
        }
        Broadcast(message);
        return null;
    }

    /// <summary>Without <see cref="GroupCommit"/>: writes the changes before the call returns.</summary>
    private void WriteInline()
    {
        while (!GroupCommit && NextWrite() is { } write)
        {
            Written(write, Save(write));
        }
    }

    /// <summary>What changed since the last write: each ID touched as it is now, the ring, claims and nicknames when they differ.</summary>
    private IpamChanges TakeChanges()
    {
        var ids = new IdAllocations[_dirtyIds.Count];
        int i = 0;
        foreach (string id in _dirtyIds)
        {
            ids[i++] = _byId.TryGetValue(id, out Holder? holder)
                ? new IdAllocations(id, [.. holder.Addresses], holder.Metadata)
                : new IdAllocations(id, [], s_noMetadata);
        }
        _dirtyIds.Clear();
        NodeClaims? claims = _ring.IsEmpty ? _paxos?.Mine : null;
        Dictionary<PeerName, string> nicknames = [];
        foreach ((PeerName name, string nick) in _nicknames)
        {
            if (!_durable.Nicknames.TryGetValue(name, out string? saved) || saved != nick)
            {
                nicknames[name] = nick;
            }
        }
        return new IpamChanges(ReferenceEquals(_ring, _durable.Ring) ? null : _ring, !Equals(claims, _durable.Claims), claims, nicknames, ids);
    }

    /// <summary>Back to the durable state: its ring, allocations and consensus claims.</summary>
    private void Restore()
    {
        _byId.Clear();
        _byAddress.Clear();
        _allocated.Clear();
        Adopt(_durable);
        _handedOff = _durableHandedOff;
        _paxos = _ring.IsEmpty && _options.Init.Mode == IpamInitMode.Consensus
            ? new Paxos(_self, _uid, _options.Init.PeerCount!.Value, _durable.Claims)
            : null;
        CheckInvariants();
    }

    /// <summary>Takes the ring, allocations and nicknames of <paramref name="image"/>; nothing of it needs writing.</summary>
    private void Adopt(IpamImage image)
    {
        _ring = image.Ring;
        foreach (IdAllocations a in image.Ids)
        {
            foreach ((uint address, int prefix) in a.Addresses)
            {
                Record(a.Id, address, prefix, a.Metadata);
            }
        }
        foreach ((PeerName name, string nick) in image.Nicknames)
        {
            _nicknames.TryAdd(name, nick);
        }
        _dirtyIds.Clear();
        _denseFrom = 0;
        _denseTo = 0;
    }
}

using FsCheck.Xunit;
using Weave.Ipam;
using Weave.Ipam.Store;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>
/// The state decoder against 100,000 cases per property and run: whatever the bytes, it answers a
/// state or false with a reason, never an exception; a changed byte of a valid file, or of a
/// journal of changes after it, is always refused, by a checksum; a journal cut short reads as its
/// whole records; and whatever it accepts, an allocator starts from. Cases come from
/// <see cref="StateFileArbitraries"/> by seed.
/// </summary>
public sealed class StateFileProperties
{
    private const int Cases = 100_000;
    private static readonly IpamTestHost s_host = new();

    [Property(Arbitrary = [typeof(StateFileArbitraries)], MaxTest = Cases)]
    public bool Decode_OfAnyBytes_IsAStateOrFalseWithAReason(StateSeed seed)
    {
        byte[] bytes = StateFileArbitraries.Garbage(new Random(seed.Value));
        return Decodes(bytes, out _, out string error) ? error.Length == 0 : error.Length > 0;
    }

    [Property(Arbitrary = [typeof(StateFileArbitraries)], MaxTest = Cases)]
    public void Decode_OfAValidFileWithOneByteChanged_IsRefused_ByTheChecksumWhereItCovers(StateSeed seed)
    {
        var random = new Random(seed.Value);
        byte[] file = StateFileArbitraries.ValidState(random).Encode();
        int at = random.Next(file.Length);
        byte was = file[at];
        file[at] ^= (byte)random.Next(1, 256);
        string where = $"byte {at} of {file.Length}, {was:x2} -> {file[at]:x2}";
        Assert.False(Decodes(file, out _, out string error), $"accepted a changed {where}");
        string[] expected = at switch
        {
            // The magic: not a state file, or (first byte 0x99) a format-1 body that does not parse.
            < 4 => [""],
            // The version: another one's header does not check, or as format 2 the length is wrong.
            < 6 => ["header checksum mismatch", "truncated or extended"],
            < StateFile.HeaderBytes => ["header checksum mismatch"],
            _ => ["checksum mismatch"],
        };
        Assert.True(expected.Any(e => error.StartsWith(e, StringComparison.Ordinal)), $"{where}: {error}");
    }

    [Property(Arbitrary = [typeof(StateFileArbitraries)], MaxTest = Cases)]
    public void Decode_OfAValidFileWithABurstOfUpTo32BitsInItsBody_IsRefusedByTheChecksum(StateSeed seed)
    {
        var random = new Random(seed.Value);
        byte[] file = StateFileArbitraries.ValidState(random).Encode();
        int bodyLength = file.Length - StateFile.HeaderBytes - StateFile.TrailerBytes;
        int length = random.Next(1, Math.Min(4, bodyLength) + 1);
        int at = StateFile.HeaderBytes + random.Next(bodyLength - length + 1);
        // First and last byte of the burst changed, those between anything (a burst of at most 32 bits).
        file[at] ^= (byte)random.Next(1, 256);
        for (int i = at + 1; i < at + length; i++)
        {
            file[i] ^= (byte)random.Next(i == at + length - 1 ? 1 : 0, 256);
        }
        Assert.False(Decodes(file, out _, out string error), $"accepted a burst of {length} at {at}");
        Assert.StartsWith("checksum mismatch", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Past the checksum (a correct frame around a mutated body, as a buggy writer or an edit by hand
    /// would make; or a format-1 file, which has no checksum) the body decoder is on its own.
    /// </summary>
    [Property(Arbitrary = [typeof(StateFileArbitraries)], MaxTest = Cases)]
    public void Decode_OfAMutatedBodyPastTheChecksum_NeverThrows_AndWhatItAcceptsAnAllocatorStartsFrom(StateSeed seed)
    {
        var random = new Random(seed.Value);
        byte[] file = StateFileArbitraries.ValidState(random).Encode();
        byte[] body = StateFileArbitraries.Mutate(file[StateFile.HeaderBytes..^StateFile.TrailerBytes], random, out string what);
        byte[] mutated = random.Next(3) == 0 ? StateFileTests.AsFormat1Body(body) : StateFileTests.Reframe(body);
        if (RefusedOrAnAllocatorStartsFrom(mutated, what) is { } state)
        {
            // And it encodes back to what decodes alike.
            Assert.True(IpamState.TryDecode(state.Encode(), out IpamState? again, out string error), $"{what}: {error}");
            Assert.Equal(state.Encode(), again.Encode());
        }
    }

    /// <summary>Every byte of a journal is under a checksum: of a header, or of a whole frame. None changes unnoticed.</summary>
    [Property(Arbitrary = [typeof(StateFileArbitraries)], MaxTest = Cases)]
    public void Decode_OfAJournalWithOneByteChanged_IsRefused(StateSeed seed)
    {
        var random = new Random(seed.Value);
        byte[] file = StateFileArbitraries.ValidJournal(random, out List<int> ends, out _);
        int at = random.Next(ends[0], file.Length);
        file[at] ^= (byte)random.Next(1, 256);
        Assert.False(Decodes(file, out _, out string error), $"accepted a changed byte {at} of {file.Length}, records end at {string.Join(",", ends)}");
        Assert.True(error.Contains("checksum mismatch", StringComparison.Ordinal) || error.StartsWith("not a WIPM header", StringComparison.Ordinal),
            $"byte {at}: {error}");
    }

    /// <summary>A journal cut anywhere after its state (a crash in an append) reads as the state of the records wholly before the cut.</summary>
    [Property(Arbitrary = [typeof(StateFileArbitraries)], MaxTest = Cases)]
    public void Decode_OfAJournalCutShort_IsTheStateOfItsWholeRecords(StateSeed seed)
    {
        var random = new Random(seed.Value);
        byte[] file = StateFileArbitraries.ValidJournal(random, out List<int> ends, out List<string> states);
        int cut = random.Next(ends[0], file.Length + 1);
        Assert.True(IpamState.TryDecode(file.AsMemory(0, cut), out IpamState? state, out int valid, out string error), $"cut at {cut}: {error}");
        int whole = ends.FindLastIndex(end => end <= cut);
        Assert.Equal(ends[whole], valid);
        Assert.Equal(states[whole], StateFileArbitraries.Canonical(state));
    }

    /// <summary>A correctly framed change record around a mutated body: refused with a reason, or an allocator starts from the result.</summary>
    [Property(Arbitrary = [typeof(StateFileArbitraries)], MaxTest = Cases)]
    public void Decode_OfAMutatedChangeRecordPastTheChecksum_NeverThrows_AndWhatItAcceptsAnAllocatorStartsFrom(StateSeed seed)
    {
        var random = new Random(seed.Value);
        byte[] journal = StateFileArbitraries.ValidJournal(random, out List<int> ends, out _);
        int last = random.Next(1, ends.Count);
        byte[] body = StateFileArbitraries.Mutate(journal[(ends[last - 1] + StateFile.HeaderBytes)..(ends[last] - StateFile.TrailerBytes)], random, out string what);
        byte[] mutated = [.. journal.AsSpan(0, ends[last - 1]), .. StateFileTests.Reframe(body, kind: FrameKind.Changes)];
        RefusedOrAnAllocatorStartsFrom(mutated, what);
    }

    /// <summary>Null when the file is refused (with a reason); else the state, once an allocator has started from it.</summary>
    private static IpamState? RefusedOrAnAllocatorStartsFrom(byte[] file, string what)
    {
        if (!Decodes(file, out IpamState? state, out string error))
        {
            Assert.True(error.Length > 0, what);
            return null;
        }
        var store = new InMemoryIpamStore();
        store.Overwrite(file);
        var options = new IpamOptions(state.Range, IpamInit.Consensus(3));
        var allocator = new Allocator(state.Self, "me", 1, options, store, s_host, s_host.Time, new Random(1));
        allocator.CheckInvariants();
        return state;
    }

    [Property(Arbitrary = [typeof(StateFileArbitraries)], MaxTest = 2_000)]
    public void EncodeThenDecode_GivesTheSameState(StateSeed seed)
    {
        IpamState state = StateFileArbitraries.ValidState(new Random(seed.Value));
        byte[] file = state.Encode();
        Assert.True(IpamState.TryDecode(file, out IpamState? decoded, out string error), error);
        Assert.Equal(file, decoded.Encode());
        Assert.Equal(state.Allocations.Select(a => a.ToString()), decoded.Allocations.Select(a => a.ToString()));
        Assert.Equal(state.Ring, decoded.Ring);
        Assert.Equal(state.Self, decoded.Self);
    }

    /// <summary>The decoder's only answers are a state or false: any exception escapes and fails the property with its seed.</summary>
    private static bool Decodes(byte[] bytes, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IpamState? state, out string error)
    {
        bool ok = IpamState.TryDecode(bytes, out state, out error);
        Assert.Equal(ok, state is not null);
        return ok;
    }
}

using FsCheck.Xunit;
using Weave.Ipam;
using Weave.Ipam.Store;
using Xunit;

namespace Weave.Tests.Ipam;

/// <summary>
/// The state decoder against 100,000 cases per property and run: whatever the bytes, it answers a
/// state or false with a reason, never an exception; a changed byte of a valid file is always
/// refused, and inside the checksummed bytes by the checksum; and whatever it accepts, an allocator
/// starts from. Cases come from <see cref="StateFileArbitraries"/> by seed.
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
        string expected = at switch
        {
            // The magic: not a state file, or (first byte 0x99) a format-1 body that does not parse.
            < 4 => "",
            < 8 => "checksum mismatch",
            < StateFile.HeaderBytes => "truncated or extended",
            _ => "checksum mismatch",
        };
        Assert.True(error.StartsWith(expected, StringComparison.Ordinal), $"{where}: {error}");
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
        if (!Decodes(mutated, out IpamState? state, out string error))
        {
            Assert.True(error.Length > 0, what);
            return;
        }
        // Accepted: it must be a state the allocator can start from, and encode back to what decodes alike.
        var store = new InMemoryIpamStore();
        store.Overwrite(mutated);
        var options = new IpamOptions(state.Range, IpamInit.Consensus(3));
        var allocator = new Allocator(state.Self, "me", 1, options, store, s_host, s_host.Time, new Random(1));
        allocator.CheckInvariants();
        Assert.True(IpamState.TryDecode(state.Encode(), out IpamState? again, out error), $"{what}: {error}");
        Assert.Equal(state.Encode(), again.Encode());
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

using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MessagePack;
using Weave.Gossip;
using Weave.Ipam;
using Weave.Ipam.Consensus;
using Weave.Ipam.Rings;
using Weave.Ipam.Store;

namespace Weave.Tests.Ipam;

/// <summary>A seed from which a state-file case is drawn (printed on failure; the same seed gives the same bytes).</summary>
public readonly record struct StateSeed(int Value);

/// <summary>
/// State files for the decoder's properties, all drawn from a <see cref="StateSeed"/>: valid states
/// (a seeded ring edited by random owners, allocations in our space and outside the range,
/// metadata, consensus claims, nicknames), garbage of several shapes, and mutations of valid files.
/// </summary>
public static class StateFileArbitraries
{
    public static Arbitrary<StateSeed> Seeds() => Gen.Choose(0, int.MaxValue).Select(s => new StateSeed(s)).ToArbitrary();

    private static readonly string[] s_idAlphabet = ["a", "b", "pod-", "0", "9", "é", "😀", "-", "/", " "];

    /// <summary>A state the allocator could have saved.</summary>
    internal static IpamState ValidState(Random random)
    {
        PeerName self = RingTests.P(random.Next(1, 6));
        Ring ring = random.Next(5) == 0 ? Ring.Empty(RingArbitraries.Range) : RingArbitraries.Build(random.Next());
        var ours = new List<uint>();
        foreach ((uint start, ulong end, _) in ring.OwnedBy(self))
        {
            for (ulong a = start; a < end; a++)
            {
                ours.Add((uint)a);
            }
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ours));
        var ids = new List<IdAllocations>();
        int next = 0;
        int idCount = random.Next(0, 8);
        for (int i = 0; i < idCount; i++)
        {
            var addresses = new List<(uint, int)>();
            int count = random.Next(1, 4);
            for (int j = 0; j < count; j++)
            {
                if (next < ours.Count && random.Next(4) != 0)
                {
                    addresses.Add((ours[next++], random.Next(2) == 0 ? 26 : 28));
                }
                else
                {
                    // A claim outside the range: recorded, whoever owns the ring.
                    addresses.Add((0xC0A8_0000u + (uint)(i * 16 + j), random.Next(0, 33)));
                }
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int m = random.Next(0, 4); m > 0; m--)
            {
                metadata[RandomText(random, 8)] = RandomText(random, 20);
            }
            ids.Add(new IdAllocations($"{RandomText(random, 12)}#{i}", [.. addresses], metadata));
        }
        NodeClaims? claims = null;
        if (ring.IsEmpty && random.Next(2) == 0)
        {
            // Consistent as the acceptor keeps them: a value only with an acceptance, the promise at or above it.
            bool accepted = random.Next(2) == 0;
            var promise = new ProposalId((ulong)random.Next(2, 9), RingTests.P(random.Next(1, 6)), (ulong)random.NextInt64());
            claims = accepted
                ? new NodeClaims((ulong)random.Next(1, 50), promise, new ProposalId(1, RingTests.P(1), 7), [RingTests.P(1), RingTests.P(3)])
                : new NodeClaims((ulong)random.Next(1, 50), promise, default, []);
        }
        var nicknames = new Dictionary<PeerName, string>();
        for (int n = random.Next(0, 4); n > 0; n--)
        {
            nicknames[RingTests.P(random.Next(1, 6))] = RandomText(random, 10);
        }
        return new IpamState(self, ring, [.. ids], claims, nicknames);
    }

    /// <summary>
    /// A journal as a store appends it: a valid state, then one to six change records (IDs freed,
    /// or given again with new metadata; nicknames learnt). <paramref name="recordEnds"/>[k] is
    /// where record k ends (0: the state), <paramref name="states"/>[k] the state up to it, canonical.
    /// </summary>
    internal static byte[] ValidJournal(Random random, out List<int> recordEnds, out List<string> states)
    {
        IpamState state = ValidState(random);
        var image = IpamImage.Of(state);
        var output = new ArrayBufferWriter<byte>();
        state.Encode(output);
        recordEnds = [output.WrittenCount];
        states = [Canonical(state)];
        for (int n = random.Next(1, 7); n > 0; n--)
        {
            var ids = new List<IdAllocations>();
            foreach (IdAllocations a in image.Ids.Where(_ => random.Next(3) == 0))
            {
                ids.Add(random.Next(2) == 0
                    ? a with { Addresses = [] }
                    : a with { Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["n"] = RandomText(random, 6) } });
            }
            var nicknames = new Dictionary<PeerName, string>();
            if (random.Next(2) == 0)
            {
                nicknames[RingTests.P(random.Next(1, 9))] = RandomText(random, 10);
            }
            var changes = new IpamChanges(null, false, null, nicknames, [.. ids]);
            IpamStateCodec.WriteChanges(output, state.Self, changes);
            image.Apply(changes);
            recordEnds.Add(output.WrittenCount);
            states.Add(Canonical(image.ToState()));
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A state as text that does not depend on the order IDs or nicknames were stored in.</summary>
    internal static string Canonical(IpamState state) =>
        $"{state.Self} {state.Ring} claims {state.Claims?.ToString() ?? "none"}\n" +
        string.Join("\n", state.Ids.OrderBy(a => a.Id, StringComparer.Ordinal).Select(a =>
            $"{a.Id}: {string.Join(" ", a.Addresses.Select(x => $"{Ip4.Format(x.Address)}/{x.Prefix}"))} " +
            string.Join(",", a.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}")))) + "\n" +
        string.Join(",", state.Nicknames.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));

    private static string RandomText(Random random, int maxParts)
    {
        var text = new StringBuilder();
        for (int n = random.Next(1, maxParts + 1); n > 0; n--)
        {
            text.Append(s_idAlphabet[random.Next(s_idAlphabet.Length)]);
        }
        return text.ToString();
    }

    /// <summary>Bytes of every shape the decoder might meet: random, framed around random, MessagePack-shaped, format-1-shaped.</summary>
    internal static byte[] Garbage(Random random)
    {
        switch (random.Next(8))
        {
            case 6:
                // A valid state, then a correctly framed change record around random bytes or random MessagePack.
                byte[] record = random.Next(2) == 0 ? RandomBytes(random, random.Next(0, 256)) : MessagePackShaped(random, 0);
                return [.. ValidState(random).Encode(), .. StateFileTests.Reframe(record, kind: FrameKind.Changes)];
            case 7:
                // A valid journal, then anything.
                return [.. ValidJournal(random, out _, out _), .. RandomBytes(random, random.Next(1, 64))];
            case 0:
                return RandomBytes(random, random.Next(0, 64));
            case 1:
                return RandomBytes(random, random.Next(0, 2048));
            case 2:
                // The magic, then anything: header fields and checksum as they fall.
                return [.. "WIPM"u8, .. RandomBytes(random, random.Next(0, 256))];
            case 3:
                // A correct frame around random bytes: only the body decoder stands in the way.
                return StateFileTests.Reframe(RandomBytes(random, random.Next(0, 512)));
            case 4:
                return StateFileTests.Reframe(MessagePackShaped(random, StateFile.CurrentVersion));
            default:
                return MessagePackShaped(random, StateFile.LegacyVersion);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A body that starts like a state (<c>[9 elements: "weave-ipam", format, ...]</c>) and goes on with random MessagePack values.</summary>
    private static byte[] MessagePackShaped(Random random, int format)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(random.Next(8) == 0 ? (uint)random.Next(0, 12) : 9);
        writer.Write("weave-ipam");
        writer.Write(random.Next(8) == 0 ? random.Next(-2, 5) : format);
        for (int i = random.Next(0, 9); i > 0; i--)
        {
            WriteRandomValue(ref writer, random, depth: 0);
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteRandomValue(ref MessagePackWriter writer, Random random, int depth)
    {
        switch (random.Next(depth > 3 ? 7 : 10))
        {
            case 0:
                writer.WriteNil();
                break;
            case 1:
                writer.Write(random.Next(-64, 300));
                break;
            case 2:
                writer.Write((ulong)random.NextInt64() << random.Next(0, 20));
                break;
            case 3:
                writer.Write(random.Next(3) == 0 ? "weave-ipam" : RandomText(random, 6));
                break;
            case 4:
                writer.Write(random.Next(2) == 0);
                break;
            case 5:
                writer.Write(RandomBytes(random, random.Next(0, 9)));
                break;
            case 6:
                writer.Write(random.NextDouble());
                break;
            case 7:
            case 8:
                // An array whose header may promise more (or fewer) elements than follow.
                int count = random.Next(0, 6);
                writer.WriteArrayHeader(random.Next(6) == 0 ? (uint)random.Next(0, 1 << 22) : (uint)count);
                for (int i = 0; i < count; i++)
                {
                    WriteRandomValue(ref writer, random, depth + 1);
                }
                break;
            default:
                int pairs = random.Next(0, 3);
                writer.WriteMapHeader(pairs);
                for (int i = 0; i < 2 * pairs; i++)
                {
                    WriteRandomValue(ref writer, random, depth + 1);
                }
                break;
        }
    }

    /// <summary>One to four edits: bytes changed, inserted, deleted, duplicated, or the end cut off.</summary>
    internal static byte[] Mutate(byte[] original, Random random, out string what)
    {
        var bytes = new List<byte>(original);
        var log = new List<string>();
        for (int n = random.Next(1, 5); n > 0 && bytes.Count > 0; n--)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    byte value = (byte)(bytes[at] ^ random.Next(1, 256));
                    log.Add($"[{at}] {bytes[at]:x2}->{value:x2}");
                    bytes[at] = value;
                    break;
                case 1:
                    // Values that mean something to MessagePack: nil, fixint edges, array and string headers, uint32.
                    byte[] interesting = [0x00, 0x7F, 0x80, 0x90, 0x99, 0xA0, 0xC0, 0xC3, 0xCE, 0xD9, 0xDC, 0xDD, 0xFF];
                    byte pick = interesting[random.Next(interesting.Length)];
                    log.Add($"[{at}] {bytes[at]:x2}=>{pick:x2}");
                    bytes[at] = pick;
                    break;
                case 2:
                    byte inserted = (byte)random.Next(256);
                    log.Add($"insert {inserted:x2} at {at}");
                    bytes.Insert(at, inserted);
                    break;
                case 3:
                    int length = Math.Min(bytes.Count - at, random.Next(1, 9));
                    log.Add($"delete {length} at {at}");
                    bytes.RemoveRange(at, length);
                    break;
                case 4:
                    int span = Math.Min(bytes.Count - at, random.Next(1, 17));
                    log.Add($"duplicate {span} at {at}");
                    bytes.InsertRange(at, bytes.GetRange(at, span));
                    break;
                default:
                    log.Add($"cut at {at}");
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }
        what = string.Join(", ", log);
        return [.. bytes];
    }
}

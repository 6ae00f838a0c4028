namespace Weave.Tests.Fuzz;

/// <summary>
/// Inputs for the decoders' property tests, each drawn from one seed: half are bytes at random
/// (any length up to 600), half are a valid encoding damaged the ways a hostile peer or a broken
/// link would damage it: bytes flipped or set to edge values, cut short, extended, a run
/// duplicated or removed, two encodings spliced.
/// </summary>
internal static class WireInput
{
    public static byte[] From(int seed, IReadOnlyList<byte[]> valid)
    {
        var random = new Random(seed);
        if (valid.Count == 0 || random.Next(2) == 0)
        {
            byte[] noise = new byte[random.Next(600)];
            random.NextBytes(noise);
            return noise;
        }
        byte[] input = [.. valid[random.Next(valid.Count)]];
        int edits = 1 + random.Next(4);
        for (int i = 0; i < edits; i++)
        {
            input = Mutate(input, random, valid);
        }
        return input;
    }

    private static readonly byte[] s_edgeValues = [0x00, 0x01, 0x7f, 0x80, 0xc0, 0xc1, 0xd9, 0xdb, 0xdd, 0xdf, 0xff];

    private static byte[] Mutate(byte[] input, Random random, IReadOnlyList<byte[]> valid)
    {
        int at = input.Length == 0 ? 0 : random.Next(input.Length);
        switch (random.Next(7))
        {
            case 0 when input.Length > 0:
                input[at] ^= (byte)(1 << random.Next(8));
                return input;
            case 1 when input.Length > 0:
                input[at] = s_edgeValues[random.Next(s_edgeValues.Length)];
                return input;
            case 2:
                return input[..random.Next(input.Length + 1)];
            case 3:
                byte[] tail = new byte[random.Next(1, 64)];
                random.NextBytes(tail);
                return [.. input, .. tail];
            case 4 when input.Length > 0:
                int run = random.Next(1, Math.Min(32, input.Length - at) + 1);
                return [.. input[..(at + run)], .. input[at..(at + run)], .. input[(at + run)..]];
            case 5 when input.Length > 0:
                int cut = random.Next(1, Math.Min(32, input.Length - at) + 1);
                return [.. input[..at], .. input[(at + cut)..]];
            default:
                byte[] other = valid[random.Next(valid.Count)];
                int from = random.Next(other.Length + 1);
                return [.. input[..at], .. other[from..]];
        }
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Weave.Linux;

/// <summary>
/// The Internet checksum (RFC 1071): the one's complement of the one's complement sum of 16-bit
/// big-endian words. A running sum is a <c>uint</c> holding a 16-bit sum in network-order value
/// (fold it with <see cref="Finish"/>); sums of separate pieces combine with
/// <see cref="Combine"/> as long as every piece but the last has an even length.
/// </summary>
/// <remarks>The bulk sum adds 32-bit words into 64-bit lanes (vectorised when the hardware
/// allows) and folds at the end; the one's complement sum does not depend on byte order, so the
/// words are summed in host order and swapped once.</remarks>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> (paired from its first byte; an odd last byte is
    /// padded with zero) to the running sum <paramref name="sum"/>.</summary>
    public static uint Add(ReadOnlySpan<byte> data, uint sum = 0)
    {
        ushort hostOrder = Fold64(SumHostOrder(data));
        uint networkOrder = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(hostOrder) : hostOrder;
        return Fold32((ulong)sum + networkOrder);
    }

    /// <summary>The sum of two running sums.</summary>
    public static uint Combine(uint a, uint b) => Fold32((ulong)a + b);

    /// <summary>The checksum to store (big-endian) for a running sum: the complement of its fold.</summary>
    public static ushort Finish(uint sum) => (ushort)~Fold32(sum);

    /// <summary>The checksum of <paramref name="data"/> alone.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(data));

    /// <summary>The running sum of the IPv4 pseudo-header: source, destination, zero, protocol, length.</summary>
    /// <exception cref="ArgumentException">An address is not 4 bytes.</exception>
    public static uint PseudoHeaderV4(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        if (source.Length != 4 || destination.Length != 4)
        {
            throw new ArgumentException("IPv4 addresses are 4 bytes.");
        }
        ulong sum = (ulong)BinaryPrimitives.ReadUInt16BigEndian(source) + BinaryPrimitives.ReadUInt16BigEndian(source[2..]) +
            BinaryPrimitives.ReadUInt16BigEndian(destination) + BinaryPrimitives.ReadUInt16BigEndian(destination[2..]) +
            protocol + (uint)length;
        return Fold32(sum);
    }

    /// <summary>The running sum of the IPv6 pseudo-header (RFC 8200 section 8.1).</summary>
    /// <exception cref="ArgumentException">An address is not 16 bytes.</exception>
    public static uint PseudoHeaderV6(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, uint length)
    {
        if (source.Length != 16 || destination.Length != 16)
        {
            throw new ArgumentException("IPv6 addresses are 16 bytes.");
        }
        uint sum = Combine(Add(source), Add(destination));
        return Fold32((ulong)sum + protocol + (length >> 16) + (length & 0xffff));
    }

    /// <summary>Computes and stores the header checksum of the IPv4 header at the start of
    /// <paramref name="header"/> (its length from the IHL field).</summary>
    /// <exception cref="ArgumentException">The span does not hold the whole header.</exception>
    public static void WriteIPv4HeaderChecksum(Span<byte> header)
    {
        int length = header.IsEmpty ? 0 : (header[0] & 0x0f) * 4;
        if (length < 20 || header.Length < length)
        {
            throw new ArgumentException("Not a complete IPv4 header.", nameof(header));
        }
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], Compute(header[..length]));
    }

    /// <summary>Whether the IPv4 header at the start of <paramref name="header"/> has a correct checksum.</summary>
    public static bool IsValidIPv4Header(ReadOnlySpan<byte> header)
    {
        int length = header.IsEmpty ? 0 : (header[0] & 0x0f) * 4;
        return length >= 20 && header.Length >= length && Fold32(Add(header[..length])) == 0xffff;
    }

    /// <summary>
    /// Finishes a partial checksum (CHECKSUM_PARTIAL, virtio's <see cref="VirtioNetHeader.FlagNeedsChecksum"/>):
    /// the field at <paramref name="checksumStart"/> + <paramref name="checksumOffset"/> holds the
    /// pseudo-header sum; the complement of the sum from <paramref name="checksumStart"/> to the end
    /// of <paramref name="frame"/> replaces it (0 becomes 0xffff, as UDP requires). Offsets count
    /// from the start of <paramref name="frame"/> (the Ethernet header, after the virtio header).
    /// Returns false, changing nothing, when the field lies outside the frame.
    /// </summary>
    public static bool TryCompletePartial(Span<byte> frame, int checksumStart, int checksumOffset)
    {
        if (checksumStart < 0 || checksumOffset < 0 || (long)checksumStart + checksumOffset + 2 > frame.Length)
        {
            return false;
        }
        ushort checksum = Finish(Add(frame[checksumStart..]));
        BinaryPrimitives.WriteUInt16BigEndian(frame[(checksumStart + checksumOffset)..], checksum == 0 ? (ushort)0xffff : checksum);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Fold32(ulong sum)
    {
        sum = (sum >> 32) + (sum & 0xffffffff);
        sum = (sum >> 16) + (sum & 0xffff);
        sum = (sum >> 16) + (sum & 0xffff);
        sum = (sum >> 16) + (sum & 0xffff);
        return (uint)sum;
    }

    private static ushort Fold64(ulong sum)
    {
        sum = (sum >> 32) + (sum & 0xffffffff);
        sum = (sum >> 32) + (sum & 0xffffffff);
        return (ushort)Fold32(sum);
    }

    /// <summary>The one's complement sum of host-order 16-bit words, unfolded in 64 bits.</summary>
    private static ulong SumHostOrder(ReadOnlySpan<byte> data) =>
        Vector256.IsHardwareAccelerated ? SumHostOrderVector256(data)
        : Vector128.IsHardwareAccelerated ? SumHostOrderVector128(data)
        : SumTail(data, 0, 0);

    /// <summary>
    /// <see cref="SumHostOrder"/> 32 bytes at a time: what the JIT runs where AVX2 is present (the
    /// unit tests); the Native AOT router never does (its x86-64 baseline has no AVX).
    /// </summary>
    internal static ulong SumHostOrderVector256(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        ulong sum = 0;
        if (length >= 64)
        {
            // Each 64-bit lane takes 32-bit words: with spans under 2 GB no lane can overflow.
            Vector256<ulong> a = Vector256<ulong>.Zero;
            Vector256<ulong> b = Vector256<ulong>.Zero;
            for (; i <= length - 32; i += 32)
            {
                (Vector256<ulong> low, Vector256<ulong> high) = Vector256.Widen(Vector256.LoadUnsafe(ref start, (nuint)i).AsUInt32());
                a += low;
                b += high;
            }
            sum = Vector256.Sum(a + b);
        }
        return SumTail(data, i, sum);
    }

    /// <summary>
    /// <see cref="SumHostOrder"/> 16 bytes at a time (SSE2): what the Native AOT router runs, the
    /// checksum of every segment it cuts and of every segment it coalesces, so tests call it
    /// directly. A wider loop would gain little: at segment sizes the router's cost is reading
    /// the memory, not the additions.
    /// </summary>
    internal static ulong SumHostOrderVector128(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        int i = 0;
        ulong sum = 0;
        if (length >= 32)
        {
            // Each 64-bit lane takes 32-bit words: with spans under 2 GB no lane can overflow.
            Vector128<ulong> a = Vector128<ulong>.Zero;
            Vector128<ulong> b = Vector128<ulong>.Zero;
            for (; i <= length - 16; i += 16)
            {
                (Vector128<ulong> low, Vector128<ulong> high) = Vector128.Widen(Vector128.LoadUnsafe(ref start, (nuint)i).AsUInt32());
                a += low;
                b += high;
            }
            sum = Vector128.Sum(a + b);
        }
        return SumTail(data, i, sum);
    }

    /// <summary>Adds the bytes of <paramref name="data"/> from <paramref name="i"/> on to
    /// <paramref name="sum"/>, 8 bytes at a time, then the odd remainder. Alone, the scalar sum.</summary>
    internal static ulong SumTail(ReadOnlySpan<byte> data, int i, ulong sum)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int length = data.Length;
        for (; i <= length - 8; i += 8)
        {
            sum = AddWithCarry(sum, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
        }
        if (i <= length - 4)
        {
            sum = AddWithCarry(sum, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i)));
            i += 4;
        }
        if (i <= length - 2)
        {
            sum = AddWithCarry(sum, Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i)));
            i += 2;
        }
        if (i < length)
        {
            // The odd byte is the high-order byte of a zero-padded big-endian word.
            byte last = Unsafe.Add(ref start, i);
            sum = AddWithCarry(sum, BitConverter.IsLittleEndian ? last : (ulong)last << 8);
        }
        return sum;
    }

    /// <summary>The checksum to store for a host-order sum (as <see cref="Compute"/> finishes it).</summary>
    internal static ushort FinishHostOrder(ulong sum)
    {
        ushort hostOrder = Fold64(sum);
        return Finish(BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(hostOrder) : hostOrder);
    }

    /// <summary>64-bit one's complement addition: a carry out of the top wraps to the bottom.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddWithCarry(ulong sum, ulong word)
    {
        sum += word;
        return sum < word ? sum + 1 : sum;
    }
}

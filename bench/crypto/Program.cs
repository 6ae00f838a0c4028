using System.Diagnostics;
using System.Globalization;
using Weave.Crypto;

// Seals (and opens) in place through our wrappers, one thread, for a fixed time per case:
//   record:   RecordCipher.Seal of one payload per call (1400 B: one MTU-sized frame; 64 KiB: a
//             whole GSO super-frame as one AEAD message);
//   datagram: DatagramSealer/DatagramOpener over a batch of 46 × 1400 B (the segments of one GSO
//             super-frame cut to datagrams), what the data plane will call per batch;
//   chunks:   the same batch as the data plane seals a super-frame's pieces (a 16-byte chunk header
//             in place and 1384 B of the frame per datagram): the pieces first copied in behind
//             their headers and sealed in place (before 2026-11-27 evening), or sealed straight
//             from the frame (DatagramSealer's tails).
// Prints Gbit/s of payload and each AES-NI cipher's ratio to ChaCha20-Poly1305 and AEGIS-256's to
// AES-256-GCM; the fastest leads CipherSuites.Supported (docs/encryption.md).
double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.5;
var invariant = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(invariant, $"bench/crypto {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} CPUs, AES-NI/libsodium AES-GCM: {NSec.Cryptography.Aes256Gcm.IsSupported}, {seconds} s per case, one thread"));

long started = Stopwatch.GetTimestamp();
using (HardenedPassword.Derive("benchmark password"))
{
    Console.WriteLine(string.Create(invariant, $"Argon2id ({HardenedPassword.MemoryKiB / 1024} MiB, {HardenedPassword.Passes} passes), once per start: {Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms"));
}

CipherSuite[] suites = [.. CipherSuites.Supported.Reverse()];
var results = new Dictionary<(string Case, CipherSuite Suite), double>();
Console.WriteLine($"{"case",-28} {"cipher",-18} {"Gbit/s",8} {"µs/call",9}");
foreach (string name in new[] { "record seal 1400 B", "record open 1400 B", "record seal 64 KiB", "record open 64 KiB", "datagram seal 46×1400 B", "datagram seal+open 46×1400 B",
    "chunks copy+seal 46×1400 B", "chunks seal from frame 46×1400 B" })
{
    foreach (CipherSuite suite in suites)
    {
        (double gbps, double microseconds) = Run(name, suite, seconds);
        results[(name, suite)] = gbps;
        Console.WriteLine(string.Create(invariant, $"{name,-28} {CipherSuites.Name(suite),-18} {gbps,8:0.00} {microseconds,9:0.00}"));
    }
}
foreach ((CipherSuite faster, CipherSuite slower) in new[] { (CipherSuite.Aes256Gcm, CipherSuite.ChaCha20Poly1305), (CipherSuite.Aegis256, CipherSuite.Aes256Gcm) })
{
    if (!suites.Contains(faster))
    {
        continue;
    }
    Console.WriteLine($"{CipherSuites.Name(faster)} / {CipherSuites.Name(slower)}:");
    foreach (var group in results.GroupBy(r => r.Key.Case))
    {
        Console.WriteLine(string.Create(invariant, $"  {group.Key,-28} {results[(group.Key, faster)] / results[(group.Key, slower)]:0.00}x"));
    }
}
return;

static (double Gbps, double MicrosecondsPerCall) Run(string name, CipherSuite suite, double seconds)
{
    byte[] key = new byte[RecordFormat.KeySizeBytes];
    Random.Shared.NextBytes(key);
    bool datagrams = name.StartsWith("datagram", StringComparison.Ordinal);
    bool chunks = name.StartsWith("chunks", StringComparison.Ordinal);
    bool open = name.Contains("open", StringComparison.Ordinal);
    int payload = name.EndsWith("64 KiB", StringComparison.Ordinal) ? 65536 : 1400;
    int perCall = datagrams || chunks ? 46 : 1;
    Action call = chunks ? ChunkCall(suite, key, fromFrame: name.Contains("from frame", StringComparison.Ordinal))
        : datagrams ? DatagramCall(suite, key, open) : RecordCall(suite, key, payload, open);
    for (int i = 0; i < 200; i++)
    {
        call();
    }
    long calls = 0;
    long start = Stopwatch.GetTimestamp();
    long deadline = start + (long)(seconds * Stopwatch.Frequency);
    while (Stopwatch.GetTimestamp() < deadline)
    {
        for (int i = 0; i < 16; i++)
        {
            call();
        }
        calls += 16;
    }
    double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
    return (calls * perCall * payload * 8 / elapsed / 1e9, elapsed / calls * 1e6);
}

static Action RecordCall(CipherSuite suite, byte[] key, int payload, bool open)
{
    var cipher = RecordCipher.Create(suite, key);
    byte[] buffer = new byte[payload + RecordFormat.TagSizeBytes];
    ulong counter = 0;
    if (!open)
    {
        return () => cipher.Seal(counter++, default, buffer.AsSpan(0, payload), buffer);
    }
    byte[] sealedCopy = new byte[buffer.Length];
    cipher.Seal(0, default, buffer.AsSpan(0, payload), sealedCopy);
    return () =>
    {
        sealedCopy.CopyTo(buffer, 0);
        if (!cipher.TryOpen(0, default, buffer, buffer.AsSpan(0, payload)))
        {
            throw new InvalidOperationException("bench record did not open");
        }
    };
}

static Action DatagramCall(CipherSuite suite, byte[] key, bool open)
{
    const int Count = 46, Payload = 1400, Stride = 1472;
    var sealer = new DatagramSealer(suite, key, TimeProvider.System);
    var opener = new DatagramOpener(suite, key, new CryptoCounters());
    byte[] buffer = new byte[Count * Stride];
    var template = new DatagramSlice[Count];
    for (int i = 0; i < Count; i++)
    {
        template[i] = new DatagramSlice(i * Stride + RecordFormat.DatagramHeaderSizeBytes, Payload);
    }
    var slices = new DatagramSlice[Count];
    var results = new DatagramOpenStatus[Count];
    byte[] peers = new byte[12];
    if (!open)
    {
        return () =>
        {
            template.CopyTo(slices, 0);
            sealer.TrySeal(buffer, slices, peers);
        };
    }
    // Opening needs fresh counters each time (the replay window), so each call seals a batch
    // too: this case is the round trip, its open share is the difference to the seal case.
    return () =>
    {
        template.CopyTo(slices, 0);
        sealer.TrySeal(buffer, slices, peers);
        opener.Open(buffer, slices, peers, results);
    };
}

static Action ChunkCall(CipherSuite suite, byte[] key, bool fromFrame)
{
    const int Count = 46, Head = 16, Piece = 1384, Stride = 1472;
    var sealer = new DatagramSealer(suite, key, TimeProvider.System);
    byte[] frame = new byte[Count * Piece];
    Random.Shared.NextBytes(frame);
    byte[] buffer = new byte[Count * Stride];
    var heads = new DatagramSlice[Count];
    var whole = new DatagramSlice[Count];
    var tails = new DatagramSlice[Count];
    for (int i = 0; i < Count; i++)
    {
        heads[i] = new DatagramSlice(i * Stride + RecordFormat.DatagramHeaderSizeBytes, Head);
        whole[i] = heads[i] with { Length = Head + Piece };
        tails[i] = new DatagramSlice(i * Piece, Piece);
    }
    var slices = new DatagramSlice[Count];
    byte[] peers = new byte[12];
    if (fromFrame)
    {
        return () =>
        {
            heads.CopyTo(slices, 0);
            sealer.TrySeal(buffer, slices, peers, frame, tails);
        };
    }
    return () =>
    {
        for (int i = 0; i < Count; i++)
        {
            frame.AsSpan(tails[i].Offset, Piece).CopyTo(buffer.AsSpan(heads[i].Offset + Head));
        }
        whole.CopyTo(slices, 0);
        sealer.TrySeal(buffer, slices, peers);
    };
}

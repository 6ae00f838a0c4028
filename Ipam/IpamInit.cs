using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Weave.Gossip;

namespace Weave.Ipam;

public enum IpamInitMode
{
    /// <summary>Agree the initial split with a quorum of the initial peers (basic Paxos over gossip).</summary>
    Consensus,

    /// <summary>Build the ring at once from a fixed list of peers (the same list on every peer).</summary>
    Seed,

    /// <summary>Never seed; wait for a ring from another peer.</summary>
    Observer,
}

/// <summary>
/// How the range gets its first owners (<c>--ipalloc-init</c>): <c>consensus=N</c> (quorum N/2+1
/// of the N initial peers; plain <c>consensus</c> leaves N to the host, Weave took the number of
/// targets + 1), <c>seed=NAME,...</c>, or <c>observer</c>.
/// </summary>
public sealed record IpamInit
{
    private IpamInit(IpamInitMode mode, int? peerCount, IReadOnlyList<PeerName> seeds)
    {
        Mode = mode;
        PeerCount = peerCount;
        Seeds = seeds;
    }

    public IpamInitMode Mode { get; }

    /// <summary>N of <c>consensus=N</c>: how many peers start the cluster; null when not given.</summary>
    public int? PeerCount { get; }

    /// <summary>The seed peers of <c>seed=</c>, sorted and unique; empty otherwise.</summary>
    public IReadOnlyList<PeerName> Seeds { get; }

    /// <summary>A majority of <see cref="PeerCount"/>.</summary>
    public int Quorum => (PeerCount ?? 1) / 2 + 1;

    public static IpamInit Observer { get; } = new(IpamInitMode.Observer, null, []);

    public static IpamInit Consensus(int? peerCount)
    {
        if (peerCount is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(peerCount), "consensus needs at least one peer");
        }
        return new IpamInit(IpamInitMode.Consensus, peerCount, []);
    }

    public static IpamInit Seed(IEnumerable<PeerName> seeds)
    {
        PeerName[] sorted = [.. seeds.Distinct().Order()];
        if (sorted.Length == 0 || sorted.Any(s => s.Value == 0))
        {
            throw new ArgumentException("seed= needs at least one non-zero peer name", nameof(seeds));
        }
        return new IpamInit(IpamInitMode.Seed, null, sorted);
    }

    /// <summary>The same mode with N filled in, for plain <c>consensus</c> once the host knows its targets.</summary>
    public IpamInit WithPeerCount(int peerCount) => Mode == IpamInitMode.Consensus ? Consensus(peerCount) : this;

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out IpamInit? init, out string error)
    {
        init = null;
        error = "";
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            error = "empty --ipalloc-init (expected consensus[=N], seed=NAME,... or observer)";
            return false;
        }
        if (text == "observer")
        {
            init = Observer;
            return true;
        }
        if (text == "consensus")
        {
            init = new IpamInit(IpamInitMode.Consensus, null, []);
            return true;
        }
        if (text.StartsWith("consensus=", StringComparison.Ordinal))
        {
            if (!int.TryParse(text.AsSpan(10), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            {
                error = $"'{text}': N must be a positive number of peers";
                return false;
            }
            init = Consensus(n);
            return true;
        }
        if (text.StartsWith("seed=", StringComparison.Ordinal))
        {
            var seeds = new List<PeerName>();
            foreach (string part in text[5..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!PeerName.TryParse(part, out PeerName name, out string nameError))
                {
                    error = $"'{text}': '{part}' is not a peer name: {nameError}";
                    return false;
                }
                seeds.Add(name);
            }
            if (seeds.Count == 0)
            {
                error = $"'{text}' names no peers";
                return false;
            }
            init = Seed(seeds);
            return true;
        }
        error = $"'{text}' is not consensus[=N], seed=NAME,... or observer";
        return false;
    }

    public override string ToString() => Mode switch
    {
        IpamInitMode.Consensus => PeerCount is null ? "consensus" : $"consensus={PeerCount}",
        IpamInitMode.Seed => "seed=" + string.Join(",", Seeds),
        _ => "observer",
    };
}

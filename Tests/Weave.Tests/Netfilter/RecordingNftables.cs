using Weave.Linux.Nftables;

namespace Weave.Tests.Netfilter;

/// <summary>
/// nft in memory for tests of the scripts we generate: records every script applied, answers
/// listings of the tables in <see cref="Tables"/>, and refuses the next apply on demand.
/// </summary>
internal sealed class RecordingNftables : INftables
{
    public List<string> Applied { get; } = [];

    /// <summary>What <see cref="List"/> answers, by what is listed (<c>table ip weave-fastdp</c>).</summary>
    public Dictionary<string, string> Tables { get; } = new(StringComparer.Ordinal);

    /// <summary>The next apply fails as nft would refuse a script.</summary>
    public bool FailNext { get; set; }

    public void Apply(string script)
    {
        if (FailNext)
        {
            FailNext = false;
            throw new NftablesException("nft refused the ruleset: Error: No such file or directory");
        }
        Applied.Add(script);
    }

    public string? List(string what, bool withHandles = false) => Tables.GetValueOrDefault(what);
}

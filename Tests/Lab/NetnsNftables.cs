using Weave.Linux;
using Weave.Linux.Nftables;

namespace Weave.Lab;

/// <summary>The real nft, run inside a lab or test namespace (a process forked there inherits its network namespace).</summary>
public sealed class NetnsNftables(string netns, INftables nft) : INftables
{
    public void Apply(string script) => NetNs.Run(netns, () => nft.Apply(script));

    public string? List(string what, bool withHandles = false) => NetNs.Run(netns, () => nft.List(what, withHandles));
}

namespace Weave.Linux.Nftables;

/// <summary>The host's nftables, as the router programs it: scripts applied as one transaction, and listings.</summary>
public interface INftables
{
    /// <summary>Applies <paramref name="script"/> (nft's language) atomically: all of it or, on an error, none of it.</summary>
    /// <exception cref="NftablesException">nft refused the script or could not run; the message has nft's reason.</exception>
    void Apply(string script);

    /// <summary>The output of <c>nft [-a] list ...</c> (<paramref name="what"/> like <c>table ip weave</c>), or null when that object does not exist.</summary>
    string? List(string what, bool withHandles = false);
}

namespace Weave.Linux.Nftables;

/// <summary>nft refused a script, or could not be run at all.</summary>
public sealed class NftablesException : Exception
{
    public NftablesException()
    {
    }

    public NftablesException(string message)
        : base(message)
    {
    }

    public NftablesException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

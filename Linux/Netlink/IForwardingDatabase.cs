namespace Weave.Linux;

/// <summary>The forwarding-database calls of <see cref="RouteNetlink"/>: the seam where the kernel
/// path programs bridge and VXLAN entries, faked in tests.</summary>
public interface IForwardingDatabase
{
    /// <inheritdoc cref="RouteNetlink.AddFdb"/>
    void AddFdb(FdbEntry entry, bool append);

    /// <inheritdoc cref="RouteNetlink.DeleteFdb"/>
    bool DeleteFdb(FdbEntry entry);

    /// <inheritdoc cref="RouteNetlink.ListFdb"/>
    IReadOnlyList<FdbEntry> ListFdb();
}

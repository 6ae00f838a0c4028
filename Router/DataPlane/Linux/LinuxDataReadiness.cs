using Weave.Linux;

namespace Weave.Router.DataPlane.Linux;

/// <summary><see cref="IDataReadiness"/> as one poll() on the TAP and both sockets' descriptors (a <see cref="PollSet"/>).</summary>
public sealed class LinuxDataReadiness : IDataReadiness
{
    private readonly PollSet _set;

    /// <exception cref="LinuxError">The kernel gave no eventfd.</exception>
    public LinuxDataReadiness(TapDevice tap, UdpBatchSocket vxlan, UdpBatchSocket sleeve)
    {
        ArgumentNullException.ThrowIfNull(tap);
        ArgumentNullException.ThrowIfNull(vxlan);
        ArgumentNullException.ThrowIfNull(sleeve);
        // The set's bits are in the order of DataSources: the TAP, then VXLAN, then sleeve; its
        // WokenBit is DataSources.Woken.
        _set = PollSet.Create(tap, vxlan, sleeve);
    }

    public DataSources Wait(DataSources sources, int timeoutMilliseconds) => (DataSources)_set.Wait((int)sources, timeoutMilliseconds);

    public void Wake() => _set.Wake();

    public void Dispose() => _set.Dispose();
}

using System.Diagnostics;
using Weave.Router.DataPlane;

namespace Weave.Tests.Router.Fakes;

/// <summary>
/// An <see cref="IDataReadiness"/> over the channel fakes: a source is ready when something waits
/// in it, checked every millisecond (the fakes have no descriptor to poll). Counts the waits that
/// included each socket, so a test sees which thread served it.
/// </summary>
internal sealed class ChannelDataReadiness(ChannelTapDevice tap, ChannelDatagramTransport vxlan, ChannelDatagramTransport sleeve) : IDataReadiness
{
    private readonly SemaphoreSlim _wake = new(0);
    private long _waitsOnVxlan;

    /// <summary>Waits that included the VXLAN socket: the TAP thread held it.</summary>
    public long WaitsOnVxlan => Interlocked.Read(ref _waitsOnVxlan);

    public DataSources Wait(DataSources sources, int timeoutMilliseconds)
    {
        if ((sources & DataSources.Vxlan) != 0)
        {
            Interlocked.Increment(ref _waitsOnVxlan);
        }
        var clock = Stopwatch.StartNew();
        while (true)
        {
            DataSources ready = DataSources.None;
            if ((sources & DataSources.Bridge) != 0 && tap.PendingFromBridge > 0)
            {
                ready |= DataSources.Bridge;
            }
            if ((sources & DataSources.Vxlan) != 0 && vxlan.PendingIncoming > 0)
            {
                ready |= DataSources.Vxlan;
            }
            if ((sources & DataSources.Sleeve) != 0 && sleeve.PendingIncoming > 0)
            {
                ready |= DataSources.Sleeve;
            }
            if (ready != DataSources.None)
            {
                return ready;
            }
            if (_wake.Wait(1))
            {
                return DataSources.Woken;
            }
            if (timeoutMilliseconds >= 0 && clock.ElapsedMilliseconds >= timeoutMilliseconds)
            {
                return DataSources.None;
            }
        }
    }

    public void Wake() => _wake.Release();

    public void Dispose() => _wake.Dispose();
}

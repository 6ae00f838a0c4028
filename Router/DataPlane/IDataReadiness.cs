namespace Weave.Router.DataPlane;

/// <summary>The forwarder's inputs, as bits: which to wait on, which are ready.</summary>
[Flags]
public enum DataSources
{
    None = 0,
    Bridge = 1,
    Vxlan = 2,
    Sleeve = 4,

    /// <summary>Not an input: <see cref="IDataReadiness.Wait"/> was ended by <see cref="IDataReadiness.Wake"/>.</summary>
    Woken = 256,
}

/// <summary>
/// One wait on the TAP and both UDP sockets at once, so that one thread can serve all three while
/// traffic is light (see Forwarder.Handoff.cs). Without it, each input has its own thread.
/// </summary>
public interface IDataReadiness : IDisposable
{
    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> until one of
    /// <paramref name="sources"/> may be read without blocking, or until <see cref="Wake"/>;
    /// returns those ready, with <see cref="DataSources.Woken"/> when woken (once per wake), or
    /// <see cref="DataSources.None"/> on timeout.</summary>
    DataSources Wait(DataSources sources, int timeoutMilliseconds);

    /// <summary>Makes a <see cref="Wait"/> in progress, or the next one, return at once. Any thread.</summary>
    void Wake();
}

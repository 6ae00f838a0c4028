using Weave.Gossip;
using Weave.Gossip.Routing;

namespace Weave.Router.DataPlane;

/// <summary>
/// What the control plane tells the data plane: which neighbours frames may go to, and the data
/// routes (over established, symmetric links) to reach the others through them. One seam, so a
/// path can later be chosen per peer (userspace VXLAN, sleeve, kernel VXLAN fast path) without the
/// mesh knowing how frames travel.
/// </summary>
public interface IDataPlane
{
    void AddPeer(DataPeer peer);

    void RemovePeer(PeerName name);

    /// <summary>The data routes of this peer; replaces the previous ones.</summary>
    void SetRoutes(RouteTable routes);

    /// <summary>Whether the kernel's VXLAN device holds our data port (the fast path); said in our intros.</summary>
    bool UsesKernelPath { get; }

    /// <summary>How frames go straight to <paramref name="peer"/> now, in Weave's words for
    /// <c>weave status connections</c> and the metrics' <c>type</c>: <c>fastdp</c>, <c>vxlan</c>
    /// or <c>sleeve</c>; with why it is not <c>fastdp</c> when this router runs the fast path.</summary>
    (string Overlay, string? NotFastReason) OverlayOf(DataPeer peer);

    /// <summary>Whether we put chunked super-frames from sealed neighbours back together (our bridge takes super-frames); said in our intros.</summary>
    bool TakesChunks { get; }

    /// <summary>What the openers of sealed neighbours (<see cref="DataSealing"/>) count their drops into.</summary>
    Weave.Crypto.CryptoCounters SealingCounters { get; }

    /// <summary>A neighbour's data path became healthy, or not (with the reason). Raised on a data-plane thread.</summary>
    event Action<DataPeer, bool, string>? DataPathHealthChanged;
}

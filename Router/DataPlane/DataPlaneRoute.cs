namespace Weave.Router.DataPlane;

/// <summary>How frames for <paramref name="Peer"/> leave: <c>vxlan</c> to it, or <c>sleeve</c> via <paramref name="Via"/>.</summary>
public sealed record DataPlaneRoute(string Peer, string Via, string Encapsulation);

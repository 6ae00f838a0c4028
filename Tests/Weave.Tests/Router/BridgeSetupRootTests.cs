using Weave.Gossip;
using Weave.Lab;
using Weave.Router.Launch;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>The bridge keeps a MAC of its own while pods' veths come and go (root, in a namespace of its own).</summary>
public sealed class BridgeSetupRootTests
{
    [RootFact]
    public void Create_GivesTheBridgeItsOwnMac_WhichNoPortChanges()
    {
        RootFactAttribute.Require();
        var peer = new PeerName(0x5e1a00000001);
        byte[] expected = BridgeSetup.BridgeMac(peer);
        Assert.Equal(0x02, expected[0] & 0x03); // locally administered, unicast
        Assert.NotEqual(expected, BridgeSetup.BridgeMac(new PeerName(0x5e1a00000002)));
        using var ns = new TempNetns();
        using BridgeSetup bridge = ns.Run(() => BridgeSetup.Create("weave", "vethwe-bridge", 1376, peer));
        string mac = Convert.ToHexString(expected);
        Assert.Equal(mac, Mac(ns));

        // A port with a lower MAC than any: an unset bridge MAC would follow it, and follow it back.
        TempNetns.Ip("-n", ns.Name, "link", "add", "vethlow", "address", "02:00:00:00:00:01", "type", "veth", "peer", "name", "vethlowp");
        TempNetns.Ip("-n", ns.Name, "link", "set", "vethlow", "master", "weave", "up");
        Assert.Equal(mac, Mac(ns));
        TempNetns.Ip("-n", ns.Name, "link", "del", "vethlow");
        Assert.Equal(mac, Mac(ns));

        // A restart finds the bridge and sets the same MAC again.
        bridge.Dispose();
        using BridgeSetup again = ns.Run(() => BridgeSetup.Create("weave", "vethwe-bridge", 1376, peer));
        Assert.False(again.CreatedBridge);
        Assert.Equal(mac, Mac(ns));
    }

    private static string Mac(TempNetns ns) =>
        TempNetns.Ip("-n", ns.Name, "-br", "link", "show", "weave").Split(' ', StringSplitOptions.RemoveEmptyEntries)[2].Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
}

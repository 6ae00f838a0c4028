using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>Two hosts, a router and a pod on each: pods talk across hosts through the routers.</summary>
public sealed partial class CrossHost2Tests(ITestOutputHelper output)
{
    private const int TransferBytes = 20 * 1024 * 1024;
    private const int TransferPort = 5201;

    [RootFact]
    public void Pods_OnTwoHosts_PingEachOtherBothWays()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);

        overlay.AssertPodsReachEachOther();
        Assert.True(overlay.Pod1.Ping(overlay.Pod2.Address, count: 5).Succeeded);
    }

    [RootFact]
    public async Task TcpTransfer_20MB_ArrivesIntact()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        overlay.AssertPodsReachEachOther();
        byte[] data = RandomNumberGenerator.GetBytes(TransferBytes);

        (long received, string hash) = await PodTransfer.TcpAsync(overlay.Pod1, overlay.Pod2, data, TransferPort, TimeSpan.FromSeconds(120));

        Assert.Equal(TransferBytes, received);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), hash);
    }

    [RootFact]
    public void Status_ShowsOtherPeerAndEstablishedConnection()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        overlay.AssertPodsReachEachOther();
        // Each end calls the connection established once it has heard the other hear it, so the
        // two ends get there up to a heartbeat interval (0.5 s) apart: the pods' ping can come first.
        Assert.True(Eventually.True(() => OneEstablished(overlay.Host1) && OneEstablished(overlay.Host2), TimeSpan.FromSeconds(10)),
            $"both ends should show the connection established:\n{overlay.Host1.RunWeave("status")}\n{overlay.Host2.RunWeave("status")}");

        CommandResult status1 = overlay.Host1.RunWeave("status");
        Assert.True(status1.Succeeded, status1.ToString());
        Assert.Matches(new Regex($@"Name:\s*{Regex.Escape(overlay.Host1.PeerName)}\s*\(host1\)"), status1.Stdout);
        Assert.Matches(new Regex(@"Peers:\s*\d+"), status1.Stdout);
        Assert.Matches(new Regex(@"Connections:\s*1\s*\(1 established\)"), status1.Stdout);

        // host2 dialled host1: an outgoing, established connection to host1's underlay address and
        // port, its pods' frames carried by the kernels (the overlay, as Weave printed it).
        CommandResult connections2 = overlay.Host2.RunWeave("status", "connections");
        Assert.True(connections2.Succeeded, connections2.ToString());
        Assert.Matches(new Regex($@"->\s*{Regex.Escape(overlay.Host1.UnderlayAddress.ToString())}:6783\s+established\s+fastdp\s+{Regex.Escape(overlay.Host1.PeerName)}\(host1\)"), connections2.Stdout);

        CommandResult connections1 = overlay.Host1.RunWeave("status", "connections");
        Assert.True(connections1.Succeeded, connections1.ToString());
        Assert.Matches(new Regex($@"{Regex.Escape(overlay.Host2.UnderlayAddress.ToString())}:\d+\s+established\s+fastdp\s+{Regex.Escape(overlay.Host2.PeerName)}\(host2\)"), connections1.Stdout);
    }

    // The two stop tests run host2 without the fast path, so the pair goes by the routers alone:
    // with it, the kernels carry pinned pods' frames on through a stop (FastDp2Tests).
    [RootFact]
    public void StopDialingRouter_StopsTraffic_RestartRestoresIt()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine, NetLab.DefaultUnderlayMtu, "--no-fastdp");
        overlay.AssertPodsReachEachOther();

        AssertStopsCleanly(overlay, overlay.Host2, overlay.Router2);
        Assert.False(overlay.Pod1.Ping(overlay.Pod2.Address, count: 3).Succeeded, "pods still reach each other with host2's router stopped");

        overlay.Router2 = overlay.StartRouter2();
        overlay.AssertPodsReachEachOther();
    }

    [RootFact]
    public void StopDialledRouter_RestartRestoresTraffic_ByRedial()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine, NetLab.DefaultUnderlayMtu, "--no-fastdp");
        overlay.AssertPodsReachEachOther();

        AssertStopsCleanly(overlay, overlay.Host1, overlay.Router1);
        Assert.False(overlay.Pod2.Ping(overlay.Pod1.Address, count: 3).Succeeded, "pods still reach each other with host1's router stopped");

        // host2's router keeps retrying its peer host1 and reconnects once it is back.
        overlay.Router1 = overlay.StartRouter1();
        overlay.AssertPodsReachEachOther();
    }

    private static void AssertStopsCleanly(TwoHostOverlay overlay, LabHost host, LabProcess router)
    {
        int exitCode = router.Stop();
        Assert.True(exitCode == 0, $"{host.Name}'s router exited {exitCode} on SIGTERM.\n{overlay.Diagnostics()}");
        Assert.True(host.TapDevices().Count == 0, $"{host.Name} still has TAP {string.Join(", ", host.TapDevices())} after its router stopped");
    }

    private static bool OneEstablished(LabHost host) =>
        OneEstablishedLine().IsMatch(host.RunWeave("status").Stdout);

    [GeneratedRegex(@"Connections:\s*1\s*\(1 established\)")]
    private static partial Regex OneEstablishedLine();
}

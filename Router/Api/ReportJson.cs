using System.Text;
using System.Text.Json;
using Weave.Gossip.Mesh;
using Weave.Ipam;
using Weave.Router.Clusters;
using Weave.Router.DataPlane;

namespace Weave.Router.Api;

/// <summary>
/// <c>GET /report</c> (and <c>weave report</c>): the router's and the allocator's state as one JSON
/// document, in the spirit of Weave's report (<c>Router</c>, <c>IPAM</c>). Written by hand with
/// <see cref="Utf8JsonWriter"/>: no reflection, so it stays Native-AOT clean.
/// </summary>
public static class ReportJson
{
    public static string Render(RouterInfo router, MeshStatus mesh, IpamStatus? ipam, DataPlaneReport? dataPlane = null, ClusterView? clusters = null)
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(mesh);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("Version", router.Version);
            WriteRouter(json, router, mesh);
            if (clusters is not null)
            {
                WriteClusters(json, clusters);
            }
            if (dataPlane is not null)
            {
                WriteDataPlane(json, dataPlane);
            }
            if (ipam is not null)
            {
                WriteIpam(json, ipam);
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary><c>Clusters</c>: ours, every other the topology shows, and the ranges routed onto the bridge.</summary>
    private static void WriteClusters(Utf8JsonWriter json, ClusterView clusters)
    {
        json.WriteStartObject("Clusters");
        json.WriteStartObject("Ours");
        json.WriteString("Name", clusters.Ours.Name);
        json.WriteString("Range", clusters.Ours.Range?.ToString());
        json.WriteNumber("Peers", clusters.OurPeers);
        json.WriteEndObject();
        json.WriteStartArray("Others");
        foreach (ClusterSummary c in clusters.Others)
        {
            json.WriteStartObject();
            json.WriteString("Name", c.Name);
            json.WriteString("Range", c.Range?.ToString());
            json.WriteNumber("Peers", c.Peers);
            json.WriteNumber("Reachable", c.Reachable);
            json.WriteBoolean("Routed", c.Routed);
            json.WriteString("NotPeered", c.NotPeered);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("PeeredRanges");
        foreach (System.Net.IPNetwork range in clusters.PeeredRanges)
        {
            json.WriteStringValue(range.ToString());
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteRouter(Utf8JsonWriter json, RouterInfo router, MeshStatus mesh)
    {
        json.WriteStartObject("Router");
        json.WriteString("Protocol", "weave");
        json.WriteString("ProtocolVersions", router.ProtocolRange);
        json.WriteString("Name", mesh.Local.Name.ToString());
        json.WriteString("NickName", mesh.Local.NickName);
        json.WriteBoolean("Encryption", router.Encryption);
        if (router.ControlCrypto is { } crypto)
        {
            // Control records dropped since start: a failed key confirmation counts as an authentication failure.
            json.WriteStartObject("ControlCrypto");
            json.WriteNumber("AuthenticationFailures", crypto.AuthenticationFailures);
            json.WriteNumber("Malformed", crypto.Malformed);
            json.WriteEndObject();
        }
        if (router.DataCrypto is { } data)
        {
            // Sealed sleeve datagrams dropped since start; plaintext refused is in the data plane's counters.
            json.WriteStartObject("DataCrypto");
            json.WriteNumber("AuthenticationFailures", data.AuthenticationFailures);
            json.WriteNumber("Replays", data.Replays);
            json.WriteNumber("Malformed", data.Malformed);
            json.WriteEndObject();
        }
        json.WriteBoolean("PeerDiscovery", router.Discovery);
        if (router.Mtu is int mtu)
        {
            json.WriteNumber("MTU", mtu);
        }
        json.WriteStartArray("Targets");
        foreach (string target in mesh.Targets)
        {
            json.WriteStringValue(target);
        }
        json.WriteEndArray();
        json.WriteStartArray("Connections");
        foreach (ConnectionRow row in mesh.Connections)
        {
            json.WriteStartObject();
            json.WriteString("Address", row.Address);
            json.WriteBoolean("Outbound", row.Outbound);
            json.WriteString("State", row.State);
            json.WriteString("Info", row.Info);
            if (row.State == ConnectionStates.Established)
            {
                json.WriteBoolean("Encrypted", row.Encrypted);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("Peers");
        foreach (PeerRow peer in mesh.Peers)
        {
            json.WriteStartObject();
            json.WriteString("Peer", peer.Peer);
            json.WriteStartArray("Connections");
            foreach (PeerLink link in peer.Links)
            {
                json.WriteStartObject();
                json.WriteString("Peer", link.Peer);
                json.WriteString("Address", link.Address);
                json.WriteBoolean("Outbound", link.Outbound);
                json.WriteBoolean("Established", link.Established);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteDataPlane(Utf8JsonWriter json, DataPlaneReport dataPlane)
    {
        json.WriteStartObject("DataPlane");
        json.WriteStartArray("Routes");
        foreach (DataPlaneRoute route in dataPlane.Routes)
        {
            json.WriteStartObject();
            json.WriteString("Peer", route.Peer);
            json.WriteString("Via", route.Via);
            json.WriteString("Encapsulation", route.Encapsulation);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteNumber("MACs", dataPlane.Macs);
        json.WriteStartObject("Counters");
        foreach (var (name, value) in dataPlane.Counters)
        {
            json.WriteNumber(name, value);
        }
        json.WriteEndObject();
        if (dataPlane.Kernel is { } kernel)
        {
            json.WriteStartObject("FastDP");
            json.WriteNumber("Peers", kernel.Peers);
            json.WriteNumber("PinnedMACs", kernel.PinnedMacs);
            json.WriteNumber("EntriesAdded", kernel.EntriesAdded);
            json.WriteNumber("EntriesDeleted", kernel.EntriesDeleted);
            json.WriteNumber("EntriesRefused", kernel.EntriesRefused);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteIpam(Utf8JsonWriter json, IpamStatus ipam)
    {
        json.WriteStartObject("IPAM");
        json.WriteString("Range", ipam.Range.ToString());
        json.WriteString("DefaultSubnet", ipam.DefaultSubnet.ToString());
        json.WriteString("Mode", ipam.Mode);
        json.WriteString("Status", ipam.State);
        json.WriteBoolean("Ready", ipam.Ready);
        json.WriteNumber("Free", ipam.Free);
        json.WriteNumber("Allocated", ipam.Allocated);
        json.WriteNumber("PendingRequests", ipam.PendingRequests);
        json.WriteNumber("RejectedMessages", ipam.RejectedMessages);
        if (ipam.Conflict is not null)
        {
            json.WriteString("Conflict", ipam.Conflict);
        }
        json.WriteStartArray("Owners");
        foreach (IpamPeerShare share in ipam.Peers)
        {
            json.WriteStartObject();
            json.WriteString("Peer", share.Name.ToString());
            json.WriteString("NickName", share.NickName);
            json.WriteNumber("Owned", share.Owned);
            json.WriteBoolean("Reachable", share.Reachable);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("Ring");
        foreach (IpamRingToken token in ipam.Ring)
        {
            json.WriteStartObject();
            json.WriteString("Token", token.Token.ToString());
            json.WriteString("Peer", token.Owner.ToString());
            json.WriteNumber("Version", token.Version);
            json.WriteNumber("Free", token.FreeHint);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Weave.Linux;
using Weave.Linux.Nftables;
using Weave.Npc.Enforcement;
using Weave.Router.Launch;
using Weave.Router.Netfilter;

namespace Weave.Router.Cli;

/// <summary>
/// <c>weave reset</c>: removes what the router and the add-on made on this node, and nothing else:
/// the fast path's VXLAN device (<c>vxlan-6784</c>), the bridge <c>weave</c> and every <c>vethwe*</c> link (the router's TAP, pods' host ends),
/// nftables tables <c>ip weave</c>, <c>ip weave-fastdp</c> (the fast path's data-port filter) and <c>inet weave-npc</c> (policy)
/// and our two rules in iptables' FORWARD chain, the CNI plugin and
/// its conflist, and the router's state in the data directory. Safe to repeat. The router must be
/// stopped first: it would recreate what is removed.
/// </summary>
public static class NodeReset
{
    /// <summary>What a reset removes under the data directory (the directory itself stays: it may be a mount).</summary>
    public static readonly string[] StateFiles = ["ipam.state", "peer-name"];

    public sealed record Paths(string BinDirectory, string? LegacyBinDirectory, string ConfDirectory, string DataDirectory, string Bridge);

    /// <summary>True when a router answers at <paramref name="apiAddress"/> (ip:port).</summary>
    public static bool RouterAnswers(string apiAddress)
    {
        if (!IPEndPoint.TryParse(apiAddress, out IPEndPoint? endPoint))
        {
            return false;
        }
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            IAsyncResult connecting = socket.BeginConnect(endPoint, null, null);
            return connecting.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(2)) && socket.Connected;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Removes everything; returns one line per thing removed.</summary>
    /// <exception cref="CliException">Something could not be removed; what was removed before stays removed.</exception>
    public static IReadOnlyList<string> Run(Paths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var removed = new List<string>();
        try
        {
            using RouteNetlink netlink = RouteNetlink.Open();
            IReadOnlyList<LinkInfo> links = netlink.ListLinks();
            // The fast path's device first: it is a port of the bridge, and while it exists the
            // kernel still takes datagrams on its UDP port.
            foreach (LinkInfo link in links.Where(IsFastPathDevice))
            {
                try
                {
                    netlink.DeleteLink(link.Index);
                    removed.Add($"link {link.Name}");
                }
                catch (LinuxError)
                {
                    // Gone already.
                }
            }
            foreach (LinkInfo link in links)
            {
                if (link.Name == paths.Bridge || link.Name.StartsWith("vethwe", StringComparison.Ordinal))
                {
                    try
                    {
                        netlink.DeleteLink(link.Index);
                        removed.Add($"link {link.Name}");
                    }
                    catch (LinuxError)
                    {
                        // Gone already: a veth goes with its peer.
                    }
                }
            }
        }
        catch (LinuxError e)
        {
            throw new CliException($"reset: cannot list or remove links: {e.Message}");
        }
        if (NftCommand.TryFind(out NftCommand? nft))
        {
            try
            {
                removed.AddRange(HostNetfilter.Remove(nft!));
                removed.AddRange(VxlanPortFilter.Remove(nft!));
                // The policy controller's table: without the add-on nothing would ever update it.
                if (nft!.List($"table {NftRuleset.Family} {NftRuleset.Table}") is not null)
                {
                    nft.Apply($"delete table {NftRuleset.Family} {NftRuleset.Table}\n");
                    removed.Add($"nftables table {NftRuleset.Family} {NftRuleset.Table}");
                }
            }
            catch (NftablesException e)
            {
                throw new CliException("reset: " + e.Message);
            }
        }
        var files = new List<string>
        {
            Path.Combine(paths.ConfDirectory, CniInstaller.ConflistName),
            Path.Combine(paths.BinDirectory, CniInstaller.PluginName),
        };
        if (!string.IsNullOrEmpty(paths.LegacyBinDirectory))
        {
            files.Add(Path.Combine(paths.LegacyBinDirectory, CniInstaller.PluginName));
        }
        files.AddRange(StateFiles.Select(f => Path.Combine(paths.DataDirectory, f)));
        foreach (string file in files)
        {
            try
            {
                if (File.Exists(file))
                {
                    File.Delete(file);
                    removed.Add(file);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"reset: cannot remove {file}: {e.Message}");
            }
        }
        return removed;
    }

    /// <summary>
    /// A kernel VXLAN device named as the router names the fast path's: <c>vxlan-</c> and a port
    /// number. Reset takes no port (the router may have run with another <c>--port</c>), so the
    /// name's form and the kind together pick ours, and a VXLAN device someone else named
    /// otherwise stays.
    /// </summary>
    public static bool IsFastPathDevice(LinkInfo link)
    {
        ArgumentNullException.ThrowIfNull(link);
        return link.Kind == "vxlan" && link.Name.StartsWith(Launch.KernelPathSetup.DevicePrefix, StringComparison.Ordinal) &&
            int.TryParse(link.Name.AsSpan(Launch.KernelPathSetup.DevicePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int port) &&
            port is >= 1 and <= 65535;
    }

    public static Paths DefaultPaths => new(CniInstaller.DefaultBinDirectory, CniInstaller.DefaultLegacyBinDirectory,
        CniInstaller.DefaultConfDirectory, RouterOptions.DefaultDataDirectory, RouterOptions.DefaultBridge);
}

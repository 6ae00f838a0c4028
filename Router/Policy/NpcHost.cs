using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Weave.Kube;
using Weave.Kube.Api;
using Weave.Linux.Nftables;
using Weave.Npc.Enforcement;
using Weave.Router.Launch;

namespace Weave.Router.Policy;

/// <summary>
/// <c>weave npc</c>, the DaemonSet's second container: follows pods, namespaces and policies,
/// keeps this node's policy table (<see cref="PolicyController"/>), and answers on
/// <see cref="NpcServer"/>. On a stop the table stays: enforcement must not lapse while the
/// container is replaced.
/// </summary>
internal static class NpcHost
{
    /// <summary>Updates waiting for the loop: beyond this the followers wait (the API server buffers for us).</summary>
    private const int QueuedUpdates = 4096;

    /// <summary>The NFLOG group dropped packets are copied to (weave-npc's port number, so it is easy to recognise).</summary>
    public const ushort DropLogGroup = 6781;

    /// <exception cref="LaunchException">Not in a pod with a service account, nft is missing, or an address is taken.</exception>
    public static async Task RunAsync(string node, IPEndPoint local, IPEndPoint? metrics, int dropLogRate, ILoggerFactory logs, CancellationToken ct)
    {
        if (!InClusterConfig.TryLoad(Environment.GetEnvironmentVariable, InClusterConfig.DefaultDirectory, out InClusterConfig? config, out string error))
        {
            throw new LaunchException("weave npc: " + error);
        }
        if (!NftCommand.TryFind(out NftCommand? nft))
        {
            throw new LaunchException("weave npc enforces NetworkPolicy with nft, which is not installed (Debian package nftables)");
        }
        ILogger log = logs.CreateLogger("weave-npc");
        using var api = new KubeApiClient(config!, $"weave-npc/{RouterHost.Info.Version}");
        var updates = Channel.CreateBounded<ResourceUpdate>(new BoundedChannelOptions(QueuedUpdates) { SingleReader = true });
        DropLog? dropLog = dropLogRate > 0 ? new DropLog(DropLogGroup, dropLogRate) : null;
        var controller = new PolicyController(node, new PolicyTable(nft!), updates.Reader, new BridgeNetfilter(log), TimeProvider.System, log, dropLog);
        if (dropLog is not null)
        {
            new DropLogger(dropLog.Group, () => controller.Snapshot, log).Start(ct);
        }
        NpcLog.Starting(log, RouterHost.Info.Version, node, api.Server, $"{NftRuleset.Family} {NftRuleset.Table}");
        NpcServer server;
        try
        {
            server = await NpcServer.StartAsync(local, metrics, controller, ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new LaunchException($"weave npc cannot listen on {local}{(metrics is null ? "" : " or " + metrics)}: {e.Message}");
        }
        await using (server.ConfigureAwait(false))
        {
            Task[] loops =
            [
                controller.RunAsync(ct),
                .. ((KubeResource[])[KubeResource.Namespaces, KubeResource.Pods, KubeResource.NetworkPolicies])
                    .Select(r => new ResourceFollower(api, r, updates.Writer, TimeProvider.System, log).RunAsync(ct)),
            ];
            try
            {
                // The loops run until the stop. One that ends otherwise failed (our bug): the
                // process ends with it and kubelet starts it again; the table stays meanwhile,
                // rather than enforcing on with a follower gone.
                Task ended = await Task.WhenAny(loops).ConfigureAwait(false);
                await ended.ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                throw new InvalidOperationException("weave npc: a loop returned before the stop");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                NpcLog.Stopping(log);
            }
        }
    }
}

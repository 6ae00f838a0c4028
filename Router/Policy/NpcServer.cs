using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Weave.Npc;
using Weave.Router.Api;

namespace Weave.Router.Policy;

/// <summary>
/// The controller's local HTTP listener (127.0.0.1:6781, weave-npc's port): <c>/status</c>,
/// <c>/explain?from=&amp;to=&amp;port=</c> (what <c>weave npc explain</c> asks), <c>/healthz</c> and
/// <c>/metrics</c>. Optionally <c>/metrics</c> alone on a second address for a scraper, as the
/// router does, so that nothing else answers on a port opened to the network.
/// </summary>
internal sealed class NpcServer : IAsyncDisposable
{
    public const int DefaultPort = 6781;

    private readonly List<WebApplication> _apps;

    private NpcServer(List<WebApplication> apps) => _apps = apps;

    /// <exception cref="IOException">An address is taken.</exception>
    public static async Task<NpcServer> StartAsync(IPEndPoint local, IPEndPoint? metrics, PolicyController controller, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(controller);
        var apps = new List<WebApplication>();
        WebApplication app = LocalWebApp.Create(local);
        app.MapGet("/status", () => Results.Text(StatusText(controller)));
        app.MapGet("/healthz", () => controller.Status.Synced
            ? Results.Text("ok\n")
            : Results.Text("waiting for the first complete list of namespaces, pods and policies\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/explain", (HttpRequest request) => Explain(controller, request));
        MapMetrics(app, controller);
        apps.Add(app);
        if (metrics is not null)
        {
            WebApplication scrape = LocalWebApp.Create(metrics);
            MapMetrics(scrape, controller);
            apps.Add(scrape);
        }
        foreach (WebApplication a in apps)
        {
            await a.StartAsync(ct).ConfigureAwait(false);
        }
        return new NpcServer(apps);
    }

    private static void MapMetrics(WebApplication app, PolicyController controller) =>
        app.MapGet("/metrics", () =>
        {
            controller.CountDrops();
            return Results.Text(MetricsText.Render(NpcMetrics.From(controller.Snapshot, controller.Status, controller.Drops, ProcessStats.Read())), MetricsText.ContentType);
        });

    private static IResult Explain(PolicyController controller, HttpRequest request)
    {
        if (!controller.Status.Synced)
        {
            return Results.Text("the controller has not listed the cluster yet\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        PolicySnapshot snapshot = controller.Snapshot;
        if (!FlowQuery.TryParse(snapshot, request.Query["from"], request.Query["to"], request.Query["port"], out Flow? flow, out string error))
        {
            return Results.Text(error + "\n", statusCode: StatusCodes.Status400BadRequest);
        }
        FlowExplanation explanation = snapshot.Engine.Explain(flow);
        return Results.Text(ExplainText.Render(explanation, controller.Plan, controller.NodeName, controller.Drops));
    }

    private static string StatusText(PolicyController controller)
    {
        NpcStatus status = controller.Status;
        PolicySnapshot snapshot = controller.Snapshot;
        var text = new StringBuilder();
        text.Append("        Node: ").Append(controller.NodeName).Append('\n');
        text.Append("       State: ").Append(!status.Synced ? "listing the cluster (nothing written yet)"
            : status.AppliedGeneration == 0 && status.Applies == 0 ? "writing the table"
            : status.LastError is null ? "enforcing" : "enforcing the last rules that took; the latest change failed").Append('\n');
        text.Append("     Objects: ").Append(snapshot.Namespaces.Length).Append(" namespaces, ").Append(snapshot.Pods.Length).Append(" pods, ")
            .Append(snapshot.Policies.Length).Append(" policies, ").Append(snapshot.Refused.Length).Append(" skipped\n");
        if (controller.Plan is { } plan)
        {
            int ingress = plan.Chains.Values.Count(c => c.Direction == FlowDirection.Ingress);
            text.Append("    Isolated: ").Append(ingress).Append(" pod(s) of this node for ingress, ")
                .Append(plan.Chains.Count - ingress).Append(" for egress\n");
        }
        if (status.LastApplied is { } at)
        {
            text.Append(" Last change: ").Append(at.ToString("u", System.Globalization.CultureInfo.InvariantCulture)).Append(", ")
                .Append(status.LastScriptBytes).Append(" bytes of nft in ")
                .Append((status.LastApplySeconds * 1000).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)).Append(" ms\n");
        }
        text.Append("     Applies: ").Append(status.Applies).Append(", failed ").Append(status.ApplyFailures).Append('\n');
        if (status.LastError is { } lastError)
        {
            text.Append("  Last error: ").Append(lastError).Append('\n');
        }
        foreach (RefusedObject refused in snapshot.Refused)
        {
            text.Append("     Skipped: ").Append(refused.Reason).Append('\n');
        }
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (WebApplication app in _apps)
        {
            await LocalWebApp.StopAsync(app).ConfigureAwait(false);
        }
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Weave.Lab;
using Xunit;
using Xunit.Abstractions;

namespace Weave.EndToEnd;

/// <summary>Two hosts: each router serves Prometheus' /metrics on 127.0.0.1:6782, and nothing else there.</summary>
public sealed class Metrics2Tests(ITestOutputHelper output)
{
    [RootFact]
    public void Metrics_AfterPodsTalk_ShowEstablishedConnectionAndDataPlaneCounters()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        overlay.AssertPodsReachEachOther();
        using var metrics = new RouterApi(overlay.Host1, port: RouterApi.MetricsPort);

        RouterApi.Reply reply = metrics.Get("/metrics");
        DateTime until = DateTime.UtcNow + TwoHostOverlay.Within;
        while (!reply.Body.Contains("weave_connections{state=\"established\",type=\"fastdp\",encryption=\"no\"} 1\n", StringComparison.Ordinal) && DateTime.UtcNow < until)
        {
            Thread.Sleep(200);
            reply = metrics.Get("/metrics");
        }

        Assert.True(reply.Status == 200, reply.ToString());
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", reply.ContentType);
        Assert.Contains("# TYPE weave_connections gauge\n", reply.Body, StringComparison.Ordinal);
        Assert.Contains("weave_connections{state=\"established\",type=\"fastdp\",encryption=\"no\"} 1\n", reply.Body, StringComparison.Ordinal);
        Assert.Contains("weave_peers 2\n", reply.Body, StringComparison.Ordinal);
        Assert.True(Value(reply.Body, "weave_dataplane_frames_from_bridge_total") > 0, reply.Body);
        Assert.Contains("weave_max_ips 1048576\n", reply.Body, StringComparison.Ordinal); // the default range, 10.32.0.0/12
        Assert.True(Value(reply.Body, "process_resident_memory_bytes") > 1_000_000, reply.Body);
        Assert.Contains("weave_connection_terminations_total 0\n", reply.Body, StringComparison.Ordinal);

        // host2's router stops: host1 counts the connection's end.
        overlay.Router2.Stop();
        Assert.True(Eventually.True(() => Value(metrics.Get("/metrics").Body, "weave_connection_terminations_total") == 1, TwoHostOverlay.Within),
            metrics.Get("/metrics").Body);
    }

    [RootFact]
    public void MetricsPort_DoesNotServeTheApi()
    {
        RootFactAttribute.Require();
        using var overlay = TwoHostOverlay.Start(output.WriteLine);
        using var metrics = new RouterApi(overlay.Host1, port: RouterApi.MetricsPort);
        using var api = new RouterApi(overlay.Host1);

        Assert.Equal(200, api.Get("/status").Status);
        Assert.Equal(404, metrics.Get("/status").Status);
        Assert.Equal(404, metrics.Get("/report").Status);
        Assert.Equal(404, api.Get("/metrics").Status);
    }

    private static double Value(string page, string series)
    {
        Match match = Regex.Match(page, $"^{Regex.Escape(series)} (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{series} missing from:\n{page}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}

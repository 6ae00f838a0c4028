using Weave.Router.Api;
using Xunit;

namespace Weave.Tests.Router;

/// <summary>The Prometheus text format 0.0.4 as <c>/metrics</c> writes it.</summary>
public sealed class MetricsTextTests
{
    [Fact]
    public void Render_FixedFamilies_IsTheGoldenText()
    {
        MetricFamily[] families =
        [
            new("weave_connections", "Number of peer-to-peer connections.", "gauge",
            [
                new MetricSample([("state", "established"), ("encryption", "no")], 2),
                new MetricSample([("state", "failed"), ("encryption", "no")], 0),
            ]),
            MetricFamily.Counter("weave_dataplane_frames_from_bridge_total", "Data-plane counter FramesFromBridge.", 12345678901),
            MetricFamily.Gauge("process_start_time_seconds", "Start time.", 1764220800.25),
            MetricFamily.Gauge("weave_ipam_unreachable_percentage", "Percent.", 12.5),
        ];

        Assert.Equal(
            "# HELP weave_connections Number of peer-to-peer connections.\n" +
            "# TYPE weave_connections gauge\n" +
            "weave_connections{state=\"established\",encryption=\"no\"} 2\n" +
            "weave_connections{state=\"failed\",encryption=\"no\"} 0\n" +
            "# HELP weave_dataplane_frames_from_bridge_total Data-plane counter FramesFromBridge.\n" +
            "# TYPE weave_dataplane_frames_from_bridge_total counter\n" +
            "weave_dataplane_frames_from_bridge_total 12345678901\n" +
            "# HELP process_start_time_seconds Start time.\n" +
            "# TYPE process_start_time_seconds gauge\n" +
            "process_start_time_seconds 1764220800.25\n" +
            "# HELP weave_ipam_unreachable_percentage Percent.\n" +
            "# TYPE weave_ipam_unreachable_percentage gauge\n" +
            "weave_ipam_unreachable_percentage 12.5\n",
            MetricsText.Render(families));
    }

    [Fact]
    public void Render_LabelValues_EscapeBackslashQuoteAndNewline()
    {
        var family = new MetricFamily("m", "Help with \\ and\nnewline.", "gauge", [new MetricSample([("peer", "a\\b\"c\nd")], 1)]);

        Assert.Equal(
            "# HELP m Help with \\\\ and\\nnewline.\n# TYPE m gauge\nm{peer=\"a\\\\b\\\"c\\nd\"} 1\n",
            MetricsText.Render([family]));
    }

    [Fact]
    public void Render_SpecialValues_AreSpelledAsPrometheusExpects()
    {
        string text = MetricsText.Render([MetricFamily.Gauge("a", "h", double.NaN), MetricFamily.Gauge("b", "h", double.PositiveInfinity), MetricFamily.Gauge("c", "h", double.NegativeInfinity)]);

        Assert.Contains("\na NaN\n", text, StringComparison.Ordinal);
        Assert.Contains("\nb +Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("\nc -Inf\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("weave_peers", "weave_peers")]
    [InlineData("ns:sub_total", "ns:sub_total")]
    [InlineData("9lives", "_lives")]
    [InlineData("drops-by reason.é", "drops_by_reason__")]
    [InlineData("", "_")]
    public void SanitizeName_KeepsOnlyPrometheusCharacters(string name, string expected)
    {
        Assert.Equal(expected, MetricsText.SanitizeName(name));
    }

    [Fact]
    public void Render_LabelNames_AreSanitisedWithoutColons()
    {
        var family = new MetricFamily("m", "h", "gauge", [new MetricSample([("a:b-c", "v"), ("1x", "w")], 1)]);

        Assert.Contains("m{a_b_c=\"v\",_x=\"w\"} 1\n", MetricsText.Render([family]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FramesFromBridge", "frames_from_bridge")]
    [InlineData("SleeveDropsBadHeartbeat", "sleeve_drops_bad_heartbeat")]
    [InlineData("AuthenticationFailures", "authentication_failures")]
    [InlineData("DropsTooBigICMP", "drops_too_big_icmp")]
    [InlineData("MTUProbes", "mtu_probes")]
    [InlineData("Ipv4Frames", "ipv4_frames")]
    public void SnakeCase_SplitsWordsAtCapitals(string name, string expected)
    {
        Assert.Equal(expected, MetricsText.SnakeCase(name));
    }
}

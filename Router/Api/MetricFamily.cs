namespace Weave.Router.Api;

/// <summary>One sample of a metric family: its labels (in the order given) and value.</summary>
public sealed record MetricSample(IReadOnlyList<(string Name, string Value)> Labels, double Value)
{
    public static MetricSample Of(double value) => new([], value);
}

/// <summary>A metric family: name, help, Prometheus type (<c>counter</c> or <c>gauge</c>) and samples.</summary>
public sealed record MetricFamily(string Name, string Help, string Type, IReadOnlyList<MetricSample> Samples)
{
    public static MetricFamily Gauge(string name, string help, double value) => new(name, help, "gauge", [MetricSample.Of(value)]);

    public static MetricFamily Counter(string name, string help, double value) => new(name, help, "counter", [MetricSample.Of(value)]);
}

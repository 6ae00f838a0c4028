using Microsoft.Extensions.Logging;

namespace Weave.Tests.Kube;

/// <summary>Keeps every line logged, for tests that check what an operator would read.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly Lock _gate = new();
    private readonly List<(LogLevel Level, string Message)> _lines = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Lines
    {
        get { lock (_gate) { return [.. _lines]; } }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        lock (_gate)
        {
            _lines.Add((logLevel, formatter(state, exception)));
        }
    }

    public int Count(string contains) => Lines.Count(l => l.Message.Contains(contains, StringComparison.Ordinal));
}

using Microsoft.Extensions.Logging;
using Weave.Kube.Api;

namespace Weave.Kube;

/// <summary>
/// Waits between attempts at a failing API call (1 s doubling to 30 s) and says why without
/// flooding the log: the first failure with its reason, then a reminder a minute, and a missing
/// RBAC verb once, as one line naming the verb and the resource.
/// </summary>
internal sealed class ApiRetry
{
    private static readonly TimeSpan s_first = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_remindEvery = TimeSpan.FromMinutes(1);

    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _forbidden = new(StringComparer.Ordinal);
    private TimeSpan _delay = s_first;
    private DateTimeOffset? _lastLogged;

    public ApiRetry(ILogger log, TimeProvider time)
    {
        _log = log;
        _time = time;
    }

    /// <summary>Logs <paramref name="failure"/> as the policy says, then waits before the next attempt.</summary>
    public async Task WaitAsync(Exception failure, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(failure);
        TimeSpan delay = _delay;
        if (failure is KubeApiException { IsForbidden: true } refused)
        {
            if (_forbidden.Add(refused.What))
            {
                KubeLog.Forbidden(_log, refused.What, refused.Message);
            }
            delay = s_max;
        }
        else
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (_lastLogged is null)
            {
                KubeLog.Retrying(_log, failure.Message, (int)delay.TotalSeconds);
                _lastLogged = now;
            }
            else if (now - _lastLogged >= s_remindEvery)
            {
                KubeLog.StillFailing(_log, failure.Message);
                _lastLogged = now;
            }
        }
        _delay = TimeSpan.FromTicks(Math.Min(s_max.Ticks, _delay.Ticks * 2));
        await Task.Delay(delay, _time, ct).ConfigureAwait(false);
    }

    /// <summary>The call worked: the next failure starts from a short wait and is reported again.</summary>
    public void Succeeded()
    {
        _delay = s_first;
        _lastLogged = null;
    }
}

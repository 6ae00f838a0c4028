using Microsoft.Extensions.Logging;

namespace Weave.Router.Policy;

/// <summary>
/// br_netfilter's switches in this network namespace: with them off, frames bridged between two
/// pods of the node never reach the inet forward hook, and policy would hold only between nodes.
/// Turned on (and said so) when found off; said once when they cannot be.
/// </summary>
internal sealed class BridgeNetfilter
{
    public static readonly IReadOnlyList<string> Settings =
        ["/proc/sys/net/bridge/bridge-nf-call-iptables", "/proc/sys/net/bridge/bridge-nf-call-ip6tables"];

    private readonly ILogger _log;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    public BridgeNetfilter(ILogger log) => _log = log;

    public void Ensure()
    {
        foreach (string setting in Settings)
        {
            try
            {
                if (File.ReadAllText(setting).Trim() != "1")
                {
                    File.WriteAllText(setting, "1");
                    NpcLog.BridgeNetfilterEnabled(_log, setting);
                }
                _reported.Remove(setting);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (_reported.Add(setting))
                {
                    NpcLog.BridgeNetfilterMissing(_log, setting, e.Message);
                }
            }
        }
    }
}

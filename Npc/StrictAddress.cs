using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Weave.Npc;

/// <summary>
/// An IP address in the dotted or colon form only: IPAddress.TryParse alone would also take "10"
/// or "0x0a000001", which the API never sends and an operator never means, and an IPv6 scope,
/// which no pod has.
/// </summary>
public static class StrictAddress
{
    public static bool TryParse(string? value, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (value is not null && value.Length <= 45 && IPAddress.TryParse(value, out IPAddress? parsed)
            && (parsed.AddressFamily == AddressFamily.InterNetwork
                ? value.Count(c => c == '.') == 3
                : parsed.ScopeId == 0 && !value.Contains('%', StringComparison.Ordinal)))
        {
            address = parsed;
            return true;
        }
        return false;
    }
}

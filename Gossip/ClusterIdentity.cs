using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Weave.Gossip;

/// <summary>
/// The cluster a router belongs to: a name, and the pod address range its IP allocation shares
/// with the other routers of that cluster (null when allocation is off). Routers of different
/// clusters share one mesh (topology, routes, relaying) but never an allocation ring; their ranges
/// must not overlap, since a pod address has to say which cluster it lives in.
/// </summary>
public sealed record ClusterIdentity
{
    /// <summary>Names are DNS labels (RFC 1123): a Kubernetes cluster name or a ConfigMap value fits.</summary>
    public const int MaxNameLength = 63;

    private ClusterIdentity(string name, IPNetwork? range)
    {
        Name = name;
        Range = range;
    }

    public string Name { get; }

    public IPNetwork? Range { get; }

    /// <summary>
    /// The name a router uses when given none: taken from its range (<c>10.32.0.0/12</c> is
    /// <c>10-32-0-0-12</c>), so every router of a single cluster agrees without a setting, and two
    /// clusters seeded apart with different ranges are different clusters with no setting either.
    /// </summary>
    public static string DefaultName(IPNetwork? range) =>
        range is { } r ? r.ToString().Replace('.', '-').Replace(':', '-').Replace('/', '-') : "default";

    /// <summary>A cluster from trusted configuration or untrusted wire text; on failure says why.</summary>
    public static bool TryCreate(string name, IPNetwork? range, [NotNullWhen(true)] out ClusterIdentity? cluster, out string error)
    {
        cluster = null;
        if (!IsValidName(name, out error))
        {
            return false;
        }
        cluster = new ClusterIdentity(name, range);
        return true;
    }

    /// <summary>Parses a range as sent on the wire: a network address with its prefix length, no host bits.</summary>
    public static bool TryParseRange(string text, [NotNullWhen(true)] out IPNetwork? range, out string error)
    {
        range = null;
        if (!IPNetwork.TryParse(text, out IPNetwork parsed))
        {
            error = $"'{Truncate(text)}' is not a network address with a prefix length (such as 10.32.0.0/12)";
            return false;
        }
        // IPNetwork clears host bits silently; a peer that sends them has another range in mind.
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(text.AsSpan(0, slash), out IPAddress? address) || !address.Equals(parsed.BaseAddress))
        {
            error = $"'{Truncate(text)}' has host bits set (the network would be {parsed})";
            return false;
        }
        range = parsed;
        error = "";
        return true;
    }

    public static bool IsValidName(string name, out string error)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            error = $"a cluster name has 1 to {MaxNameLength} characters, not {name?.Length ?? 0}";
            return false;
        }
        foreach (char c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                error = $"cluster name '{Truncate(name)}' may hold only lower-case letters, digits and '-'";
                return false;
            }
        }
        if (name[0] == '-' || name[^1] == '-')
        {
            error = $"cluster name '{Truncate(name)}' must start and end with a letter or digit";
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>Whether two ranges share any address (of one family: CIDR blocks nest or are apart).</summary>
    public static bool Overlap(IPNetwork a, IPNetwork b) =>
        a.BaseAddress.AddressFamily == b.BaseAddress.AddressFamily && (a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress));

    /// <summary>As operators see it: <c>name (10.32.0.0/12)</c>.</summary>
    public string Display => Range is { } r ? $"{Name} ({r})" : $"{Name} (no IP allocation)";

    public override string ToString() => Display;

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..64] + "...";
}

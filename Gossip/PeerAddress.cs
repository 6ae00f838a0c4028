using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Weave.Gossip;

/// <summary>
/// A peer to connect to, as given on the command line or to <c>weave connect</c>: <c>host[:port]</c>
/// where host is an IPv4 address, a bracketed IPv6 address or a DNS name.
/// </summary>
public sealed record PeerAddress(string Host, int Port)
{
    public static bool TryParse(string? text, int defaultPort, [NotNullWhen(true)] out PeerAddress? address, out string error)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "empty peer address";
            return false;
        }
        string host = text;
        string? portText = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"invalid peer address '{text}': missing ']'";
                return false;
            }
            host = text[1..close];
            if (close + 1 < text.Length)
            {
                if (text[close + 1] != ':')
                {
                    error = $"invalid peer address '{text}': expected ':' after ']'";
                    return false;
                }
                portText = text[(close + 2)..];
            }
            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"invalid peer address '{text}': '{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon >= 0)
            {
                if (text.IndexOf(':', StringComparison.Ordinal) != colon)
                {
                    error = $"invalid peer address '{text}': write IPv6 addresses as [addr]:port";
                    return false;
                }
                host = text[..colon];
                portText = text[(colon + 1)..];
            }
            if (!IsValidHost(host))
            {
                error = $"invalid peer address '{text}': '{host}' is neither an IPv4 address nor a host name";
                return false;
            }
        }
        int port = defaultPort;
        if (portText is not null &&
            (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"invalid peer address '{text}': port '{portText}' is not a number from 1 to 65535";
            return false;
        }
        address = new PeerAddress(host, port);
        error = "";
        return true;
    }

    /// <summary>An IPv4 literal or an RFC 1123 host name (letters, digits, hyphens, dots).</summary>
    private static bool IsValidHost(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return false;
        }
        if (IPAddress.TryParse(host, out IPAddress? ip))
        {
            return ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && host.Count(c => c == '.') == 3;
        }
        foreach (string label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label.StartsWith('-') || label.EndsWith('-') ||
                !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                return false;
            }
        }
        return !host.All(c => char.IsAsciiDigit(c) || c == '.');
    }

    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

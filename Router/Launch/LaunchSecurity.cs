using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Weave.Router.Launch;

/// <summary>Validates the encryption flags: the password's three sources and <c>--trusted-subnets</c>.</summary>
internal static class LaunchSecurity
{
    /// <summary>A password longer than this is surely a wrong file.</summary>
    public const int MaxPasswordBytes = 4096;

    /// <summary>
    /// <c>--password</c>, else <c>--password-file</c>, else <c>$WEAVE_PASSWORD</c>; null when none
    /// is set. Both flags at once is an error (which would win is not obvious); an empty password
    /// is an error rather than silently no encryption.
    /// </summary>
    public static byte[]? Password(LaunchFlags flags)
    {
        if (flags.Password is not null && flags.PasswordFile is not null)
        {
            throw new LaunchException("give --password or --password-file, not both");
        }
        string? password = flags.Password;
        string source = "--password";
        if (flags.PasswordFile is { } file)
        {
            source = $"{flags.Named("--password-file")} {file}";
            password = ReadPasswordFile(file, source);
        }
        else if (password is null && flags.EnvironmentPassword is { Length: > 0 } fromEnvironment)
        {
            password = fromEnvironment;
            source = "$WEAVE_PASSWORD";
        }
        if (password is null)
        {
            return null;
        }
        if (password.Length == 0)
        {
            throw new LaunchException($"invalid {source}: the password is empty");
        }
        byte[] bytes = Encoding.UTF8.GetBytes(password);
        if (bytes.Length > MaxPasswordBytes)
        {
            throw new LaunchException($"invalid {source}: longer than {MaxPasswordBytes} bytes");
        }
        return bytes;
    }

    /// <param name="source">The flag or variable that named the file, and the path, for messages.</param>
    private static string ReadPasswordFile(string path, string source)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxPasswordBytes + 2)
            {
                throw new LaunchException($"invalid {source}: longer than {MaxPasswordBytes} bytes");
            }
            string text = File.ReadAllText(path, Encoding.UTF8);
            // Editors and `echo` end files with a newline that is not part of the password.
            return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new LaunchException($"cannot read {source}: {e.Message}", e);
        }
    }

    /// <summary>Comma-separated IPv4 CIDRs (Weave's flag); an empty list when not given.</summary>
    public static IReadOnlyList<IPNetwork> TrustedSubnets(string? text)
    {
        if (text is null)
        {
            return [];
        }
        var subnets = new List<IPNetwork>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(part, out IPNetwork subnet) || subnet.BaseAddress.AddressFamily != AddressFamily.InterNetwork ||
                !IPAddress.TryParse(part.Split('/')[0], out IPAddress? given) || !given.Equals(subnet.BaseAddress))
            {
                throw new LaunchException($"invalid --trusted-subnets '{text}': '{part}' is not an IPv4 CIDR like 10.0.0.0/8 (with no host bits set)");
            }
            subnets.Add(subnet);
        }
        return subnets;
    }
}

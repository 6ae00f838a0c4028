namespace Weave.Lab;

/// <summary>
/// iproute2 for building the lab. Product code never runs ip(8); tests may. Every call names the
/// namespace it acts in (<c>ip -n NS</c>), so the lab never changes the root namespace's links.
/// </summary>
public static class Ip
{
    /// <summary>Runs <c>ip -n NS ARGS</c> and throws with the output when it fails.</summary>
    public static CommandResult In(string netns, params string[] args) => Run(["-n", netns, .. args]).EnsureSuccess();

    /// <summary>Runs <c>ip ARGS</c> and returns the result, failed or not.</summary>
    public static CommandResult Run(params string[] args) => Command.Run("ip", args);

    /// <summary>Names of the links in a namespace.</summary>
    public static IReadOnlyList<string> Links(string netns) =>
        [.. In(netns, "-o", "link", "show").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 3)[1].Trim())
            .Select(name => name.Split('@')[0])];

    /// <summary>The MTU of a link in a namespace, from <c>ip -o link show</c>.</summary>
    public static int Mtu(string netns, string link)
    {
        string[] words = In(netns, "-o", "link", "show", link).Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int at = Array.IndexOf(words, "mtu");
        return at >= 0 && at + 1 < words.Length && int.TryParse(words[at + 1], System.Globalization.CultureInfo.InvariantCulture, out int mtu)
            ? mtu
            : throw new InvalidOperationException($"no MTU in `ip -n {netns} -o link show {link}`: {string.Join(' ', words)}");
    }

    /// <summary>Names of the TAP devices in a namespace (the router's attachment to the bridge).</summary>
    public static IReadOnlyList<string> TapDevices(string netns) =>
        [.. In(netns, "-d", "-o", "link", "show").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.Contains(" tun type tap", StringComparison.Ordinal))
            .Select(line => line.Split(':', 3)[1].Trim())];
}

namespace Weave.Cni.Spec;

/// <summary>
/// The CNI_* variables of one invocation. Which ones must be present depends on the command: ADD
/// and CHECK need the container ID, netns and interface name; DEL only the container ID and
/// interface name (the runtime may have lost the namespace, and may send an empty CNI_NETNS);
/// VERSION, STATUS and GC need none (runtimes probe with dummy values).
/// </summary>
public sealed record CniEnvironment(string Command, string ContainerId, string Netns, string IfName, CniArgs Args, string Path)
{
    public const string Add = "ADD";
    public const string Del = "DEL";
    public const string Check = "CHECK";
    public const string Version = "VERSION";
    public const string Status = "STATUS";
    public const string Gc = "GC";

    private static readonly string[] s_commands = [Add, Del, Check, Version, Status, Gc];

    /// <summary>Parses and validates the variables for their command.</summary>
    /// <exception cref="CniException">Code 4, naming the variable, when one is missing or malformed.</exception>
    public static CniEnvironment Parse(IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        string command = Get(variables, "CNI_COMMAND");
        if (command.Length == 0)
        {
            throw Invalid("CNI_COMMAND is not set (expected one of " + string.Join(", ", s_commands) + ")");
        }
        if (!s_commands.Contains(command, StringComparer.Ordinal))
        {
            throw Invalid($"CNI_COMMAND '{Shorten(command)}' is not one of " + string.Join(", ", s_commands));
        }
        string containerId = Get(variables, "CNI_CONTAINERID");
        string netns = Get(variables, "CNI_NETNS");
        string ifName = Get(variables, "CNI_IFNAME");
        string path = Get(variables, "CNI_PATH");
        CniArgs args = CniArgs.Parse(Get(variables, "CNI_ARGS"));

        bool attachment = command is Add or Del or Check;
        if (attachment)
        {
            RequireContainerId(containerId);
            RequireIfName(ifName);
        }
        if (command is Add or Check)
        {
            if (netns.Length == 0)
            {
                throw Invalid($"CNI_NETNS is not set: {command} needs the path of the container's network namespace");
            }
            if (!netns.StartsWith('/'))
            {
                throw Invalid($"CNI_NETNS '{Shorten(netns)}' is not an absolute path to a network namespace");
            }
        }
        return new CniEnvironment(command, containerId, netns, ifName, args, path);
    }

    /// <summary>The spec's rule: non-empty, starting with an alphanumeric character, then alphanumerics, '_', '.' or '-'.</summary>
    public static bool IsValidContainerId(string id)
    {
        if (id.Length == 0 || id.Length > 1024 || !char.IsAsciiLetterOrDigit(id[0]))
        {
            return false;
        }
        foreach (char c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '.' && c != '-')
            {
                return false;
            }
        }
        return true;
    }

    private static void RequireContainerId(string id)
    {
        if (id.Length == 0)
        {
            throw Invalid("CNI_CONTAINERID is not set");
        }
        if (!IsValidContainerId(id))
        {
            throw Invalid($"CNI_CONTAINERID '{Shorten(id)}' is invalid: it must start with a letter or digit and hold only letters, digits, '_', '.' and '-' (at most 1024)");
        }
    }

    private static void RequireIfName(string name)
    {
        if (name.Length == 0)
        {
            throw Invalid("CNI_IFNAME is not set");
        }
        if (!Weave.Linux.InterfaceName.IsValid(name))
        {
            throw Invalid($"CNI_IFNAME '{Shorten(name)}' is not a valid interface name (1 to 15 bytes, no '/', ':' or whitespace)");
        }
    }

    private static string Get(IReadOnlyDictionary<string, string> variables, string name) =>
        variables.TryGetValue(name, out string? value) ? value : "";

    private static CniException Invalid(string message) => new(CniErrorCode.InvalidEnvironment, message);

    /// <summary>A value echoed in a message or a log line: at most 64 characters, and control
    /// characters (a newline in a container ID) shown as '?', so the line stays one line.</summary>
    internal static string Shorten(string text)
    {
        string shown = text.Length <= 64 ? text : text[..64] + "...";
        return shown.Any(char.IsControl) ? string.Concat(shown.Select(c => char.IsControl(c) ? '?' : c)) : shown;
    }
}

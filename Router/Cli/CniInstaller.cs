using System.Text.Json.Nodes;

namespace Weave.Router.Cli;

/// <summary>
/// <c>weave install-cni</c>: puts the plugin where container runtimes look for it and writes the
/// network configuration they pick. As Weave Net did, the conflist chains <c>portmap</c> after
/// <c>weave-net</c>, so pods' hostPorts work. Every file is written under a temporary name and
/// renamed into place: a runtime starting a pod meanwhile never runs half a binary or reads half a
/// configuration.
/// </summary>
public static class CniInstaller
{
    public const string PluginName = "weave-net";
    public const string DefaultBinDirectory = "/opt/cni/bin";
    public const string DefaultLegacyBinDirectory = "/usr/lib/cni";
    public const string DefaultConfDirectory = "/etc/cni/net.d";

    /// <summary>Runtimes use the first configuration in the directory by name: "10-" comes early.</summary>
    public const string ConflistName = "10-weave.conflist";

    /// <summary>The plugin shipped beside the running <c>weave</c> executable.</summary>
    public static string DefaultSource => Path.Combine(AppContext.BaseDirectory, PluginName);

    /// <summary>Copies the plugin to <paramref name="binDirectory"/> (created if missing) and to
    /// <paramref name="legacyBinDirectory"/> when that exists, then writes the conflist. Returns the files written.</summary>
    /// <exception cref="CliException">When the plugin is missing or a file cannot be written.</exception>
    public static IReadOnlyList<string> Install(string source, string binDirectory, string? legacyBinDirectory, string confDirectory, bool hairpin = true)
    {
        if (!File.Exists(source))
        {
            throw new CliException($"the CNI plugin {source} does not exist (build it with ./build.sh, or give --source)");
        }
        var written = new List<string>();
        try
        {
            Directory.CreateDirectory(binDirectory);
            written.Add(CopyExecutable(source, binDirectory));
            if (!string.IsNullOrEmpty(legacyBinDirectory) && Directory.Exists(legacyBinDirectory) &&
                !Path.GetFullPath(legacyBinDirectory).Equals(Path.GetFullPath(binDirectory), StringComparison.Ordinal))
            {
                written.Add(CopyExecutable(source, legacyBinDirectory));
            }
            Directory.CreateDirectory(confDirectory);
            string conflist = Path.Combine(confDirectory, ConflistName);
            WriteAtomically(conflist, path => File.WriteAllText(path, Conflist(hairpin)));
            written.Add(conflist);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException("install-cni: " + e.Message);
        }
        return written;
    }

    /// <summary>
    /// <c>HAIRPIN_MODE</c>, weave-kube's switch: hairpin on pods' bridge ports unless it says
    /// false (some old kernels panicked with it). Anything else but true is refused, not guessed.
    /// </summary>
    public static bool HairpinFromEnvironment(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "true" or "1" => true,
        "false" or "0" => false,
        _ => throw new CliException($"invalid HAIRPIN_MODE '{value}': expected true or false"),
    };

    /// <summary>The network configuration list: weave-net, then portmap (capability portMappings, SNAT for hairpinned host ports).</summary>
    public static string Conflist(bool hairpin = true)
    {
        var conflist = new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = "weave",
            ["plugins"] = new JsonArray(
                new JsonObject
                {
                    ["name"] = "weave",
                    ["type"] = PluginName,
                    ["hairpinMode"] = hairpin,
                },
                new JsonObject
                {
                    ["type"] = "portmap",
                    ["capabilities"] = new JsonObject { ["portMappings"] = true },
                    ["snat"] = true,
                }),
        };
        return conflist.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string CopyExecutable(string source, string directory)
    {
        string target = Path.Combine(directory, PluginName);
        WriteAtomically(target, path =>
        {
            File.Copy(source, path, overwrite: true);
            if (OperatingSystem.IsWindows())
            {
                return;
            }
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        });
        return target;
    }

    private static void WriteAtomically(string target, Action<string> write)
    {
        string temporary = target + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            write(temporary);
            File.Move(temporary, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}

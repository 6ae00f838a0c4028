using System.Globalization;

namespace Weave.Lab;

/// <summary>Named network namespaces (<c>ip netns</c>): listing, creating, and removing them together with every process inside.</summary>
public static class LabNamespaces
{
    /// <summary>Names of all named namespaces on the machine.</summary>
    public static IReadOnlyList<string> List() =>
        [.. Ip.Run("netns", "list").Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2)[0])];

    public static bool Exists(string name) => File.Exists(Path.Combine(Weave.Linux.NetNs.NamedDirectory, name));

    /// <summary>Creates a namespace with its loopback up.</summary>
    public static void Add(string name)
    {
        Ip.Run("netns", "add", name).EnsureSuccess();
        Ip.In(name, "link", "set", "lo", "up");
    }

    /// <summary>Ids of the processes running in a namespace.</summary>
    public static IReadOnlyList<int> Pids(string name) =>
        [.. Ip.Run("netns", "pids", name).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0)
            .Where(pid => pid > 0 && pid != Environment.ProcessId)];

    /// <summary>
    /// Kills every process inside the namespace, then deletes it; its links (veth ends, bridges,
    /// TAPs) go with it. Never throws; returns a description of what failed, or null.
    /// </summary>
    public static string? Destroy(string name)
    {
        try
        {
            if (!Exists(name))
            {
                return null;
            }
            foreach (int pid in Pids(name))
            {
                _ = Signals.Send(pid, Signals.SigKill);
            }
            CommandResult deleted = Ip.Run("netns", "delete", name);
            return deleted.Succeeded || !Exists(name) ? null : deleted.ToString();
        }
        catch (Exception e)
        {
            return $"removing namespace {name}: {e.Message}";
        }
    }
}

using System.Globalization;
using System.Net;
using Weave.Linux;

namespace Weave.Lab;

/// <summary>What simulated hosts and pods have in common: a namespace to run commands, programs and sockets in.</summary>
public abstract class LabNode
{
    private protected LabNode(NetLab lab, string name, string netns)
    {
        Lab = lab;
        Name = name;
        Namespace = netns;
    }

    /// <summary>Short name within the lab, e.g. <c>host1</c> or <c>pod1</c>.</summary>
    public string Name { get; }

    /// <summary>The network namespace, named after the run so it is unique on the machine.</summary>
    public string Namespace { get; }

    private protected NetLab Lab { get; }

    /// <summary>Runs a command inside the namespace and waits for it (default timeout 30 s).</summary>
    public CommandResult Exec(params string[] args) => Exec(Command.DefaultTimeout, args);

    public CommandResult Exec(TimeSpan timeout, params string[] args) =>
        Command.Run(timeout, "ip", ["netns", "exec", Namespace, .. args]);

    /// <summary>Starts a long-running program inside the namespace; the lab stops it at the latest on dispose.</summary>
    public LabProcess Start(string file, params string[] args) => Lab.StartProcess(this, file, args);

    /// <summary>Runs synchronous code inside the namespace on a dedicated thread. Sockets opened there keep the namespace.</summary>
    public T Run<T>(Func<T> body) => NetNs.Run(Namespace, body);

    /// <summary>Sends <paramref name="count"/> pings 0.2 s apart; succeeded when any reply came back.</summary>
    public CommandResult Ping(IPAddress target, int count = 3)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Exec(TimeSpan.FromSeconds(10 + count), "ping", "-n", "-c", count.ToString(CultureInfo.InvariantCulture), "-i", "0.2", "-W", "1", target.ToString());
    }

    /// <summary>Pings once a second until a reply comes back; false if none came within <paramref name="within"/>.</summary>
    public bool WaitForPing(IPAddress target, TimeSpan within) =>
        Eventually.True(() => Ping(target, count: 1).Succeeded, within, TimeSpan.FromMilliseconds(100));

    /// <summary>Names of the links in the namespace.</summary>
    public IReadOnlyList<string> Links() => Ip.Links(Namespace);

    public override string ToString() => $"{Name} ({Namespace})";
}

using System.Globalization;
using System.Net;
using Weave.Linux;

namespace Weave.Lab;

/// <summary>
/// A lab of simulated hosts on one machine: an underlay namespace with a bridge, and N host
/// namespaces whose <c>eth0</c> hangs on it at 192.168.231.(10+i)/24. Names are unique per run;
/// leftovers of crashed earlier runs are removed first; everything is removed on
/// <see cref="Dispose"/>, on Ctrl-C/SIGTERM and at process exit. Only the lab's own namespaces
/// are touched: every link is created inside them, never in the root namespace.
/// </summary>
public sealed class NetLab : IDisposable
{
    /// <summary>The MTU of the underlay's links unless a test asks for another (jumbo frames: 9000).</summary>
    public const int DefaultUnderlayMtu = 1500;

    /// <summary>The underlay subnet; host i (1-based) is at .(10+i).</summary>
    public const string UnderlayPrefix = "192.168.231.";

    public const int UnderlayPrefixLength = 24;

    public const int MaxHosts = 200;

    private const string UnderlayBridge = "br0";

    private readonly Lock _gate = new();
    private readonly List<string> _namespaces = [];
    private readonly List<LabProcess> _processes = [];
    private readonly List<LabHost> _hosts = [];
    private readonly Action<string>? _log;
    private readonly TaskCompletionSource _removed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _processCounter;
    private bool _disposed;
    private NeighbourTableLimits? _neighbourLimits;

    private NetLab(string runName, Action<string>? log, int underlayMtu)
    {
        RunName = runName;
        _log = log;
        UnderlayMtu = underlayMtu;
        UnderlayNamespace = runName + "-underlay";
        TempDirectory = Path.Combine(TempRoot, runName);
    }

    /// <summary>Where runs keep their logs: a directory per run, removed with the run.</summary>
    public static string TempRoot => Path.Combine(Path.GetTempPath(), "weave-lab");

    /// <summary>Keep the run's log directory after dispose (set <c>WEAVE_LAB_KEEP_LOGS=1</c>).</summary>
    public static bool KeepLogs => Environment.GetEnvironmentVariable("WEAVE_LAB_KEEP_LOGS") is "1" or "true";

    /// <summary><c>wv&lt;pid&gt;x&lt;n&gt;</c>: the prefix of every namespace of this run.</summary>
    public string RunName { get; }

    public string UnderlayNamespace { get; }

    /// <summary>The MTU of the underlay bridge and of every host's <c>eth0</c>.</summary>
    public int UnderlayMtu { get; }

    /// <summary>This run's directory for logs (routers' output).</summary>
    public string TempDirectory { get; }

    public IReadOnlyList<LabHost> Hosts => _hosts;

    /// <summary>Every namespace this run has created and not yet removed.</summary>
    public IReadOnlyList<string> Namespaces
    {
        get { lock (_gate) { return [.. _namespaces]; } }
    }

    /// <summary>
    /// Removes dead runs' leftovers, then builds the underlay and <paramref name="hostCount"/>
    /// hosts. <paramref name="log"/> receives what the lab does and every line its processes print.
    /// The underlay's links get <paramref name="underlayMtu"/>.
    /// </summary>
    public static NetLab Create(int hostCount, Action<string>? log = null, int underlayMtu = DefaultUnderlayMtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hostCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hostCount, MaxHosts);
        ArgumentOutOfRangeException.ThrowIfLessThan(underlayMtu, 576);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(underlayMtu, 65535);
        if (!Privileges.IsRoot)
        {
            throw new InvalidOperationException("the network-namespace lab needs root");
        }
        _ = Leftovers.Remove(log);

        var lab = new NetLab(global::Weave.Lab.RunName.Next(), log, underlayMtu);
        ExitCleanup.Track(lab);
        try
        {
            lab.Build(hostCount);
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>True once <see cref="Dispose"/> has begun, e.g. from a Ctrl-C handler.</summary>
    public bool IsDisposed
    {
        get { lock (_gate) { return _disposed; } }
    }

    /// <summary>
    /// Stops every process the run started, removes its namespaces (and with them every link) and
    /// its log directory. Idempotent; never throws. A call while another thread (a signal handler)
    /// is removing the run waits until it is done, so the process cannot exit halfway.
    /// </summary>
    public void Dispose()
    {
        LabProcess[] processes = [];
        string[] namespaces = [];
        bool first;
        lock (_gate)
        {
            first = !_disposed;
            if (first)
            {
                _disposed = true;
                processes = [.. _processes];
                namespaces = [.. _namespaces];
                _processes.Clear();
                _namespaces.Clear();
            }
        }
        if (!first)
        {
            _ = _removed.Task.Wait(TimeSpan.FromSeconds(60));
            return;
        }
        try
        {
            Remove(processes, namespaces);
        }
        finally
        {
            _removed.TrySetResult();
        }
    }

    private void Remove(LabProcess[] processes, string[] namespaces)
    {
        ExitCleanup.Untrack(this);
        Log($"removing run {RunName}");
        foreach (LabProcess process in processes)
        {
            process.SignalStop();
        }
        foreach (LabProcess process in processes)
        {
            process.Dispose();
        }
        // Pods first, the underlay last: the reverse of creation.
        for (int i = namespaces.Length - 1; i >= 0; i--)
        {
            string? error = LabNamespaces.Destroy(namespaces[i]);
            if (error is not null)
            {
                Log(error);
            }
        }
        _neighbourLimits?.Dispose();
        if (!KeepLogs)
        {
            try
            {
                if (Directory.Exists(TempDirectory))
                {
                    Directory.Delete(TempDirectory, recursive: true);
                }
            }
            catch (Exception e)
            {
                Log($"removing {TempDirectory}: {e.Message}");
            }
        }
    }

    /// <summary>Writes a line to the lab's log, if it has one.</summary>
    public void Log(string line)
    {
        try
        {
            _log?.Invoke(line);
        }
        catch (InvalidOperationException)
        {
            // xunit's output helper refuses lines once its test has finished.
        }
    }

    internal string AddNamespace(string name)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // Tracked before it exists, so a failure halfway is still cleaned up.
            _namespaces.Add(name);
        }
        LabNamespaces.Add(name);
        return name;
    }

    internal LabProcess StartProcess(LabNode node, string file, string[] args)
    {
        int n = Interlocked.Increment(ref _processCounter);
        string label = $"{node.Name}/{Path.GetFileName(file)}#{n.ToString(CultureInfo.InvariantCulture)}";
        string logPath = Path.Combine(TempDirectory, $"{node.Name}-{Path.GetFileName(file)}-{n.ToString(CultureInfo.InvariantCulture)}.log");
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var process = new LabProcess(node.Namespace, label, logPath, _log, file, args);
            _processes.Add(process);
            return process;
        }
    }

    private void Build(int hostCount)
    {
        _ = Directory.CreateDirectory(TempDirectory);
        string mtu = UnderlayMtu.ToString(CultureInfo.InvariantCulture);
        Log($"run {RunName}: underlay {UnderlayNamespace} with bridge {UnderlayBridge} (MTU {mtu}), {hostCount} host(s), logs in {TempDirectory}");
        // Before any host: a large lab's ARP entries would otherwise overflow the kernel's one table.
        _neighbourLimits = NeighbourTableLimits.Raise(NeighbourTableLimits.EntriesNeeded(hostCount), RunName, _log);
        AddNamespace(UnderlayNamespace);
        Ip.In(UnderlayNamespace, "link", "add", UnderlayBridge, "mtu", mtu, "type", "bridge");
        Ip.In(UnderlayNamespace, "link", "set", UnderlayBridge, "up");
        for (int i = 1; i <= hostCount; i++)
        {
            string index = i.ToString(CultureInfo.InvariantCulture);
            string hostNs = AddNamespace($"{RunName}-host{index}");
            var address = IPAddress.Parse(UnderlayPrefix + (10 + i).ToString(CultureInfo.InvariantCulture));
            string underlayEnd = "host" + index;
            Ip.In(UnderlayNamespace, "link", "add", underlayEnd, "mtu", mtu, "type", "veth", "peer", "name", "eth0", "netns", hostNs, "mtu", mtu);
            Ip.In(UnderlayNamespace, "link", "set", underlayEnd, "master", UnderlayBridge, "up");
            Ip.In(hostNs, "addr", "add", $"{address}/{UnderlayPrefixLength.ToString(CultureInfo.InvariantCulture)}", "dev", "eth0");
            Ip.In(hostNs, "link", "set", "eth0", "up");
            _hosts.Add(new LabHost(this, i, hostNs, address));
            Log($"host{index}: {hostNs}, eth0 {address}/{UnderlayPrefixLength.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}

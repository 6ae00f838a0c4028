using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Tmds.Linux;
using Weave.Crypto;
using Weave.Gossip;
using Weave.Gossip.Mesh;
using Weave.Gossip.Protocol;
using Weave.Ipam;
using Weave.Ipam.Store;
using Weave.Linux;
using Weave.Router.Api;
using Weave.Router.Clusters;
using Weave.Router.Clusters.Linux;
using Weave.Router.DataPlane;
using Weave.Router.DataPlane.Linux;
using Weave.Router.Kubernetes;
using Weave.Router.Mesh;
using Weave.Router.Netfilter;

namespace Weave.Router.Launch;

/// <summary>
/// Runs one router: checks what it needs, claims its ports before touching any link (so a failed
/// start leaves nothing behind), sets up the bridge and TAP, starts the data plane, the mesh and
/// the API, and takes it all down again in reverse order when asked to stop.
/// </summary>
public sealed partial class RouterHost
{
    private RouterOptions _options;
    private readonly ILoggerFactory _logs;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly CryptoCounters _controlCrypto = new();
    private readonly CryptoCounters _dataCrypto = new();
    private volatile bool _ready;
    private volatile bool _stopRequested;
    private volatile Forwarder? _forwarder;
    private volatile KernelPathRun? _kernelRun;

    public RouterHost(RouterOptions options, ILoggerFactory logs, TimeProvider time, Random random)
    {
        _options = options;
        _logs = logs;
        _time = time;
        _random = random;
    }

    public static RouterInfo Info => new(
        typeof(RouterHost).Assembly.GetName().Version?.ToString(3) ?? "0",
        ProtocolHeader.Ours.ToString());

    /// <summary>Runs until <paramref name="signal"/> fires or <c>weave stop</c> asks (<c>POST /stop</c>).</summary>
    /// <exception cref="LaunchException">The router cannot start; nothing it created is left behind.</exception>
    public async Task RunAsync(CancellationToken signal)
    {
        CheckPrerequisites();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(signal);
        CancellationToken stop = stopping.Token;
        void RequestStop()
        {
            _stopRequested = true;
            stopping.Cancel();
        }
        ILogger log = _logs.CreateLogger("weave");
        // Checked before anything is claimed: not in a pod, or no nft, is a start that cannot work.
        await using KubernetesMode? kube = _options.Kubernetes ? KubernetesMode.Create(_options, _logs, _time, _random) : null;
        var self = new PeerIdentity(_options.Name, _options.NickName, NextUid()) { Cluster = _options.Cluster };

        bool kernelPath = WantsKernelPath(log, out VxlanPortFilter? dataPortFilter);
        if (!kernelPath)
        {
            RemoveKernelPathLeftovers(log);
        }
        using Socket listener = Claim("TCP", _options.Port, () => MeshHost.Listen(new IPEndPoint(_options.Host, _options.Port)));
        // With the fast path the data port goes to the kernel's device; claimed all the same unless
        // the device of an earlier run holds it, which proves no other router does.
        using var dataPort = new DataPortSocket(kernelPath && KernelPathSetup.DeviceUp(_options.DataPort)
            ? DataPortSocket.OpenIdle()
            : Claim("UDP", _options.DataPort, () => UdpBatchSocket.OpenForOverlay(new IPEndPoint(_options.Host, _options.DataPort))));
        using UdpBatchSocket sleeve = Claim("UDP", _options.Port, () => UdpBatchSocket.OpenForOverlay(new IPEndPoint(_options.Host, _options.Port)));
        int mtu = ChooseMtu(log); // after the ports: a router that cannot start says only why
        using HardenedPassword? password = HardenPassword(log);
        ControlSecurity? security = password is null ? null : new ControlSecurity(password, _controlCrypto);
        var meshControl = new LateMeshControl();
        RouterInfo info = InfoFor(mtu);
        var bridgeAddresses = new NetlinkBridgeAddresses(_options.Bridge);
        ApiServer api = await ServeAsync("the HTTP API", _options.HttpEndPoint, () =>
            ApiServer.StartAsync(_options.HttpEndPoint, info, () => _ready, meshControl, meshControl, bridgeAddresses, RequestStop, CurrentDataPlane, stop)).ConfigureAwait(false);
        MetricsServer? metrics = null;
        StatusServer? statusServer = null;
        try
        {
            if (_options.MetricsEndPoint is { } metricsEndPoint)
            {
                metrics = await ServeAsync("metrics", metricsEndPoint, () =>
                    MetricsServer.StartAsync(metricsEndPoint, info, () => _ready, meshControl, meshControl, CurrentDataPlane, stop)).ConfigureAwait(false);
            }
            if (_options.StatusEndPoint is { } statusEndPoint)
            {
                statusServer = await ServeAsync("status", statusEndPoint, () =>
                    StatusServer.StartAsync(statusEndPoint, info, () => _ready, meshControl, meshControl, CurrentDataPlane, stop)).ConfigureAwait(false);
            }
            if (kube is not null)
            {
                // The API answers meanwhile (503 for status, 200 for /healthz), so probes see a
                // router that waits for the Kubernetes API rather than a dead one.
                try
                {
                    _options = await kube.PrepareAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    RouterLog.ShuttingDown(log, StopReason + ", while waiting for the Kubernetes API");
                    return;
                }
            }
            BridgeSetup bridge = SetUpBridge(mtu);
            if (bridge.CreatedBridge)
            {
                RouterLog.BridgeCreated(log, _options.Bridge, mtu);
            }
            bool started = false;
            KernelPathStart? kernelStart = null;
            try
            {
                TapDevice tap = bridge.Tap;
                kernelStart = kernelPath ? StartKernelPath(bridge, dataPort, dataPortFilter, log) : null;
                using KernelPathStart? kernelSockets = kernelStart;
                UdpBatchSocket udp = dataPort.Socket;
                using var readiness = new LinuxDataReadiness(tap, udp, sleeve); // disposed after the forwarder
                using var forwarder = new Forwarder(self.Name, tap, udp, sleeve, _options.Vni, _time, log)
                {
                    Mtu = mtu,
                    SealingCounters = _dataCrypto,
                    Readiness = readiness,
                    ProbePort = kernelStart?.ProbesOut,
                };
                forwarder.Start();
                using KernelPathRun? kernelRun = kernelStart is null ? null : KernelPathRun.Start(kernelStart, bridge, forwarder, dataPortFilter, _time, log);
                _kernelRun = kernelRun;
                _forwarder = forwarder;
                await using var mesh = new MeshHost(self, _options.DataPort, MeshOptionsFor(_options), listener, forwarder, _time, _random, log, security,
                    new SubnetTrust(_options.TrustedSubnets));
                AttachAllocator(mesh, self);
                var peeredRoutes = new PeeredRangeRoutes(new NetlinkPeeredRoutes(_options.Bridge), _time, log);
                mesh.ClustersChanged += clusters => peeredRoutes.Want(clusters.PeeredRanges);
                RouterLog.ClusterJoined(log, _options.Cluster.Display, mesh.IpamChannelName, Peering(_options.PeerClusters));
                mesh.Start([.. _options.Peers, .. _options.RemotePeers.Except(_options.Peers)]);
                meshControl.Mesh = mesh;
                _ready = started = true;
                RouterLog.Ready(log, self.Name.ToString(), self.NickName, (IPEndPoint)listener.LocalEndPoint!,
                    new IPEndPoint(_options.Host, _options.DataPort), _options.Vni, _options.Bridge, bridge.Tap.Name, mtu, _options.HttpEndPoint);
                kube?.Start(mesh, bridgeAddresses.Add);
                Task keepBridge = BridgeAddressKeeper.RunAsync(mesh, bridgeAddresses, _options.IpamRange, _time, log, stop);
                Task keepRoutes = Task.Run(() => peeredRoutes.RunAsync(stop), CancellationToken.None);

                await WaitAsync(stop).ConfigureAwait(false);
                await keepBridge.ConfigureAwait(false);
                await keepRoutes.ConfigureAwait(false);
                if (kube is not null)
                {
                    await kube.DisposeAsync().ConfigureAwait(false);
                }

                RouterLog.ShuttingDown(log, StopReason);
                _ready = false;
                meshControl.Mesh = null;
                _forwarder = null;
                _kernelRun = null;
            }
            catch when (!started)
            {
                // A start that fails leaves no bridge of ours behind, nor a fast path it made.
                if (kernelStart is { Device.Created: true })
                {
                    kernelStart.Device.Remove();
                    RemoveFilter(dataPortFilter);
                }
                bridge.RemoveCreatedBridge();
                throw;
            }
            finally
            {
                bridge.Dispose();
            }
            RouterLog.Stopped(log, bridge.Tap.Name);
        }
        finally
        {
            if (statusServer is not null)
            {
                await statusServer.DisposeAsync().ConfigureAwait(false);
            }
            if (metrics is not null)
            {
                await metrics.DisposeAsync().ConfigureAwait(false);
            }
            await api.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Argon2id over the password, once per start (about 0.1 s and 64 MiB here), so no connection
    /// pays it. Also where a missing libsodium.so shows, with a clear reason.
    /// </summary>
    private HardenedPassword? HardenPassword(ILogger log)
    {
        string trusted = string.Join(',', _options.TrustedSubnets);
        if (_options.Password is not { } password)
        {
            if (_options.TrustedSubnets.Count > 0)
            {
                RouterLog.TrustedSubnetsWithoutPassword(log, trusted);
            }
            return null;
        }
        HardenedPassword hardened;
        try
        {
            hardened = HardenedPassword.Derive(password);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or PlatformNotSupportedException)
        {
            // NSec reports a missing library as "platform not supported" around the loader's
            // several-line message: the first line of the innermost one is what helps.
            string cause = e.GetBaseException().Message.Split('\n')[0].TrimEnd(' ', ':');
            throw new LaunchException($"encryption needs libsodium.so beside the weave binary ({AppContext.BaseDirectory}): {cause}");
        }
        RouterLog.EncryptionEnabled(log, HardenedPassword.MemoryKiB / 1024, HardenedPassword.Passes, (long)hardened.Cost.TotalMilliseconds,
            CipherSuites.Offer(CipherSuites.Supported));
        if (_options.TrustedSubnets.Count > 0)
        {
            RouterLog.TrustedSubnets(log, trusted);
        }
        return hardened;
    }

    /// <summary>The data plane for the report and metrics, with the fast path's figures; null while not running.</summary>
    private DataPlaneReport? CurrentDataPlane() =>
        _forwarder?.Report() is { } report ? report with { Kernel = _kernelRun?.Path.Report } : null;

    /// <summary>How the start-up line says which clusters we peer with.</summary>

    private static string Peering(IReadOnlySet<string>? peerClusters) => peerClusters switch
    {
        null => "any cluster whose range does not overlap ours",
        { Count: 0 } => "no other cluster (--peer-clusters is empty)",
        _ => "clusters " + string.Join(", ", peerClusters.Order(StringComparer.Ordinal)),
    };

    private string StopReason => _stopRequested ? "weave stop" : "signal";

    private static async Task WaitAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The signal to stop.
        }
    }

    private static void CheckPrerequisites()
    {
        if (!Privileges.IsRoot)
        {
            throw new LaunchException("weave launch must run as root: it creates the bridge and a TAP device");
        }
        if (!TapDevice.IsSupported)
        {
            throw new LaunchException("/dev/net/tun is missing: this kernel or container offers no TUN/TAP devices");
        }
    }


    private T Claim<T>(string protocol, int port, Func<T> bind)
    {
        try
        {
            return bind();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new LaunchException($"{protocol} port {port} is already in use (is another router running in this network namespace?)");
        }
        catch (SocketException e)
        {
            throw new LaunchException($"cannot bind {protocol} {_options.Host}: {e.Message}");
        }
        catch (LinuxError e) when (e.Errno == LibC.EADDRINUSE)
        {
            throw new LaunchException($"{protocol} port {port} is already in use (is another router running in this network namespace?)");
        }
        catch (LinuxError e)
        {
            throw new LaunchException($"cannot bind {protocol} {_options.Host}: {e.Message}");
        }
    }

    /// <summary>The allocator over the mesh, with its state in the data directory (a corrupt file stops the start).</summary>
    private void AttachAllocator(MeshHost mesh, PeerIdentity self)
    {
        var options = new IpamOptions(_options.IpamRange, _options.EffectiveIpamInit) { DefaultSubnet = _options.IpamDefaultSubnet };
        var store = new FileIpamStore(_options.IpamStatePath, DirectorySync.Flush, _time);
        try
        {
            mesh.AttachAllocator(peers => new Allocator(self.Name, self.NickName, self.Uid, options, store, peers, _time, _random));
        }
        catch (InvalidDataException e)
        {
            throw new LaunchException(e.Message);
        }
        catch (IOException e)
        {
            throw new LaunchException($"cannot read the IP allocation state {_options.IpamStatePath}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new LaunchException($"cannot read the IP allocation state {_options.IpamStatePath}: {e.Message}");
        }
    }

    private static MeshOptions MeshOptionsFor(RouterOptions options) => new()
    {
        Port = options.Port,
        ConnectionLimit = options.ConnectionLimit,
        Discovery = options.Discovery,
        RequireDataPathHealth = true,
        PeerClusters = options.PeerClusters,
    };

    private RouterInfo InfoFor(int mtu) => Info with
    {
        MeshPort = _options.Port,
        Discovery = _options.Discovery,
        Mtu = mtu,
        Encryption = _options.Encrypted,
        TrustedSubnets = _options.TrustedSubnets,
        ControlCrypto = _options.Encrypted ? _controlCrypto : null,
        DataCrypto = _options.Encrypted ? _dataCrypto : null,
    };

    /// <summary>Starts one of the HTTP listeners; an address in use becomes one clear line.</summary>
    private static async Task<T> ServeAsync<T>(string what, IPEndPoint endPoint, Func<Task<T>> start)
    {
        try
        {
            return await start().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // Kestrel wraps the socket's error in its own AddressInUseException.
            string why = e.InnerException is AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
                ? "address already in use"
                : e.Message;
            throw new LaunchException($"cannot serve {what} on {endPoint}: {why}");
        }
    }

    /// <summary>The overlay MTU (<see cref="OverlayMtuChoice"/>), logged once with where it came from.</summary>
    private int ChooseMtu(ILogger log)
    {
        OverlayMtuChoice choice;
        try
        {
            using var links = new NetlinkUnderlayLinks();
            choice = OverlayMtuChoice.Choose(_options, links);
        }
        catch (LinuxError e)
        {
            throw new LaunchException($"cannot ask the kernel for the underlay's MTU: {e.Message}");
        }
        if (choice.Assumed)
        {
            RouterLog.OverlayMtuAssumed(log, choice.Mtu, choice.Origin);
        }
        else
        {
            RouterLog.OverlayMtuChosen(log, choice.Mtu, choice.Origin);
        }
        return choice.Mtu;
    }

    private BridgeSetup SetUpBridge(int mtu)
    {
        try
        {
            return BridgeSetup.Create(_options.Bridge, _options.Tap, mtu, _options.Name);
        }
        catch (LinuxError e)
        {
            throw new LaunchException($"cannot set up bridge {_options.Bridge}: {e.Message}");
        }
    }

    private ulong NextUid()
    {
        ulong uid;
        do
        {
            uid = (ulong)_random.NextInt64();
        }
        while (uid == 0);
        return uid;
    }

    /// <summary>
    /// The API starts before the mesh exists (so a taken port fails the start before any link is
    /// touched); until the mesh is set, and after shutdown begins, requests get 503.
    /// </summary>
    private sealed class LateMeshControl : IMeshControl, IIpamControl
    {
        private volatile MeshHost? _mesh;

        public MeshHost? Mesh
        {
            set => _mesh = value;
        }

        private MeshHost Current => _mesh ?? throw new InvalidOperationException("the router is not running its mesh");

        public Task<MeshStatus> StatusAsync(CancellationToken ct) => Current.StatusAsync(ct);

        public Task<ClusterView> ClustersAsync(CancellationToken ct) => Current.ClustersAsync(ct);

        public Task ConnectAsync(IReadOnlyList<PeerAddress> peers, bool replace, CancellationToken ct) => Current.ConnectAsync(peers, replace, ct);

        public Task ForgetAsync(IReadOnlyList<PeerAddress> peers, CancellationToken ct) => Current.ForgetAsync(peers, ct);

        private IIpamControl Ipam => Current;

        public Task<AllocationResult> AllocateAsync(string id, Cidr? subnet, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) =>
            Ipam.AllocateAsync(id, subnet, metadata, ct);

        public Task<AllocationResult> ClaimAsync(string id, IPAddress address, int prefixLength, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) =>
            Ipam.ClaimAsync(id, address, prefixLength, metadata, ct);

        public Task<IReadOnlyList<IpamAllocation>> LookupAsync(string id, CancellationToken ct) => Ipam.LookupAsync(id, ct);

        public Task<AllocationResult> ReleaseAsync(string id, IPAddress? address, CancellationToken ct) => Ipam.ReleaseAsync(id, address, ct);

        public Task<IReadOnlyList<IpamAllocation>> ListAsync(CancellationToken ct) => Ipam.ListAsync(ct);

        public Task<RemovePeerResult> RemovePeerAsync(string nameOrNickname, CancellationToken ct) => Ipam.RemovePeerAsync(nameOrNickname, ct);

        public Task<RemovePeerResult> HandOffAsync(CancellationToken ct) => Ipam.HandOffAsync(ct);

        Task<IpamStatus> IIpamControl.StatusAsync(CancellationToken ct) => Ipam.StatusAsync(ct);
    }
}

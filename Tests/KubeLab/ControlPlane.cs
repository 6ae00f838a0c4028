using System.Globalization;
using Weave.Linux;

namespace Weave.KubeLab;

/// <summary>
/// The control plane's programs, all in the control-plane namespace (etcd on its 127.0.0.1, the
/// API server on 10.200.0.1:6443), and the world's HTTP server in the world namespace.
/// </summary>
internal sealed class ControlPlane
{
    public ControlPlane(KubeCluster cluster)
    {
        string pki = cluster.PkiDirectory;
        string kubeconfig = cluster.KubeconfigPath;
        string Pki(string file) => Path.Combine(pki, file);
        string Log(string name) => Path.Combine(cluster.LogDirectory, name + ".log");
        string[] enter = ["nsenter", "--net=" + NetNs.PathOf(cluster.ControlPlaneNamespace), "--"];

        Etcd = new KubeDaemon("etcd", Log("etcd"), enter, [], "/usr/bin/etcd",
        [
            "--name", "kubelab", "--data-dir", Path.Combine(cluster.RunDirectory, "etcd"),
            "--listen-client-urls", EtcdClientUrl, "--advertise-client-urls", EtcdClientUrl,
            "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
            "--initial-cluster", "kubelab=http://127.0.0.1:2380", "--logger", "zap",
        ]);
        string api = KubeAddressPlan.ApiServer.ToString();
        ApiServer = new KubeDaemon("kube-apiserver", Log("kube-apiserver"), enter, [], KubeBinaries.PathOf("kube-apiserver"),
        [
            "--etcd-servers=" + EtcdClientUrl,
            "--bind-address=" + api, "--advertise-address=" + api,
            "--secure-port=" + KubeAddressPlan.ApiServerPort.ToString(CultureInfo.InvariantCulture), "--insecure-port=0",
            "--tls-cert-file=" + Pki(KubePki.ApiServerCertFile), "--tls-private-key-file=" + Pki(KubePki.ApiServerKeyFile),
            "--client-ca-file=" + Pki(KubePki.CaFile),
            "--service-account-key-file=" + Pki(KubePki.ServiceAccountPublicKeyFile),
            "--service-account-signing-key-file=" + Pki(KubePki.ServiceAccountKeyFile),
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=" + KubeAddressPlan.ServiceCidr,
            "--authorization-mode=Node,RBAC", "--allow-privileged=true",
            "--kubelet-client-certificate=" + Pki(KubePki.AdminCertFile), "--kubelet-client-key=" + Pki(KubePki.AdminKeyFile),
            "--kubelet-preferred-address-types=InternalIP",
            "--profiling=false",
        ]);
        string[] asClient = ["--kubeconfig=" + kubeconfig, "--authentication-kubeconfig=" + kubeconfig, "--authorization-kubeconfig=" + kubeconfig,
            "--bind-address=127.0.0.1", "--port=0", "--leader-elect=false", "--profiling=false"];
        ControllerManager = new KubeDaemon("kube-controller-manager", Log("kube-controller-manager"), enter, [], KubeBinaries.PathOf("kube-controller-manager"),
        [
            .. asClient,
            "--service-account-private-key-file=" + Pki(KubePki.ServiceAccountKeyFile), "--root-ca-file=" + Pki(KubePki.CaFile),
            "--use-service-account-credentials=false",
            // pods get addresses from the add-on, not from spec.podCIDR
            "--controllers=*,-nodeipam",
            // the default is a machine path under /usr/libexec, which it would create
            "--flex-volume-plugin-dir=" + Path.Combine(cluster.RunDirectory, "flexvolume"),
        ]);
        Scheduler = new KubeDaemon("kube-scheduler", Log("kube-scheduler"), enter, [], KubeBinaries.PathOf("kube-scheduler"), asClient);

        string site = Path.Combine(cluster.RunDirectory, "world");
        WorldHttpd = new KubeDaemon("world-httpd", Log("world-httpd"), ["nsenter", "--net=" + NetNs.PathOf(cluster.WorldNamespace), "--"], [],
            "/bin/busybox", ["httpd", "-f", "-p", KubeAddressPlan.World + ":80", "-h", site]);
        WorldPage = Path.Combine(site, "index.html");
    }

    /// <summary>etcd's client URL (no path: etcd refuses even a trailing slash).</summary>
    public const string EtcdClientUrl = "http://127.0.0.1:2379";

    public static Uri EtcdUrl { get; } = new(EtcdClientUrl);

    public KubeDaemon Etcd { get; }

    public KubeDaemon ApiServer { get; }

    public KubeDaemon ControllerManager { get; }

    public KubeDaemon Scheduler { get; }

    public KubeDaemon WorldHttpd { get; }

    /// <summary>What <c>http://10.201.0.1/</c> serves.</summary>
    public string WorldPage { get; }

    /// <summary>In start order.</summary>
    public IReadOnlyList<KubeDaemon> All => [WorldHttpd, Etcd, ApiServer, ControllerManager, Scheduler];
}

namespace Weave.KubeLab;

/// <summary>
/// The configuration files of a node's containerd, kubelet and kube-proxy. Each setting that
/// departs from the defaults is there for a reason of this machine (no systemd, cgroup v1, no
/// CAP_SYS_RESOURCE, no registry) or of sharing one machine among nodes; the comments say which.
/// </summary>
internal static class NodeConfigFiles
{
    /// <summary>
    /// containerd: all state in the node's directory; CNI from the node's own /etc/cni/net.d and
    /// /opt/cni/bin (paths as the node's mount namespace sees them).
    /// </summary>
    public static string Containerd(KubeNode node) => $"""
        version = 2
        root = "{node.ContainerdRoot}"
        state = "{node.ContainerdState}"
        [grpc]
          address = "{node.ContainerdSocket}"
        [ttrpc]
          address = "{node.ContainerdSocket}.ttrpc"
        [debug]
          level = "info"
        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "{KubeImages.Pause}"
          stream_server_address = "127.0.0.1"
          enable_selinux = false
          # pods' network namespaces under the node's state, not the machine's /var/run/netns
          netns_mounts_under_state_dir = true
          # no CAP_SYS_RESOURCE here: runc cannot give pause the negative oom_score_adj it asks for
          restrict_oom_score_adj = true
          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "overlayfs"
            default_runtime_name = "runc"
            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"
              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                # no systemd as PID 1: cgroupfs, like kubelet
                SystemdCgroup = false
                Root = "{node.RuncRoot}"
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "/opt/cni/bin"
            conf_dir = "/etc/cni/net.d"
        [plugins."io.containerd.internal.v1.opt"]
          path = "{node.ContainerdRoot}/opt"

        """;

    public static string Kubelet(KubeNode node, string caFile, string cgroupRoot) => $$"""
        apiVersion: kubelet.config.k8s.io/v1beta1
        kind: KubeletConfiguration
        address: {{node.Address}}
        port: 10250
        readOnlyPort: 0
        healthzBindAddress: 127.0.0.1
        healthzPort: 10248
        authentication:
          anonymous: {enabled: false}
          webhook: {enabled: true}
          x509: {clientCAFile: "{{caFile}}"}
        authorization: {mode: Webhook}
        # cgroup v1 without systemd; the root is the node's own subtree (it must exist beforehand)
        cgroupDriver: cgroupfs
        cgroupRoot: {{cgroupRoot}}
        cgroupsPerQOS: true
        enforceNodeAllocatable: [pods]
        failSwapOn: false
        # no CAP_SYS_RESOURCE: kubelet cannot lower its own oom_score_adj to the default -999
        oomScoreAdj: 0
        clusterDomain: cluster.local
        clusterDNS: [{{KubeAddressPlan.ClusterDns}}]
        resolvConf: /etc/resolv.conf
        serializeImagePulls: false
        # images are imported, never pulled: collecting one would lose it for good
        imageGCHighThresholdPercent: 100
        evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
        # a node turns Ready within seconds of its network: the status is checked every 2 s, posted on change
        nodeStatusUpdateFrequency: 2s
        maxPods: 50

        """;

    public static string KubeProxy(KubeNode node, string kubeconfig, string clusterCidr) => $$"""
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        clientConnection: {kubeconfig: "{{kubeconfig}}"}
        hostnameOverride: {{node.Name}}
        bindAddress: {{node.Address}}
        clusterCIDR: "{{clusterCidr}}"
        mode: iptables
        healthzBindAddress: 127.0.0.1:10256
        metricsBindAddress: 127.0.0.1:10249
        # no CAP_SYS_RESOURCE: keep our oom_score_adj
        oomScoreAdj: 0
        # the conntrack sysctls are partly machine-wide or read-only outside the initial namespace
        conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
        iptables: {masqueradeAll: false, syncPeriod: 30s, minSyncPeriod: 1s}

        """;
}

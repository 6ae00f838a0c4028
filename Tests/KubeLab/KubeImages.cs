using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using Weave.Lab;

namespace Weave.KubeLab;

/// <summary>
/// The images every node has without a registry, made here as docker-archives and cached under
/// <c>$WEAVE_KUBE_CACHE/v1.20.2/images</c> (named after a hash of what they contain). Pod specs
/// must use these exact references with <c>imagePullPolicy: Never</c> or <c>IfNotPresent</c>.
/// </summary>
public static class KubeImages
{
    /// <summary>The sandbox image: the static <c>pause</c> built beside the Kubernetes binaries.</summary>
    public const string Pause = "registry.k8s.io/pause:kubelab";

    /// <summary>Debian's static busybox with every applet in /bin, /etc/passwd and /tmp; its command is <c>sh</c>.</summary>
    public const string Busybox = "docker.io/library/busybox:kubelab";

    // Bump when the layout of the images changes, so cached archives are rebuilt.
    private const string Format = "1";

    private const string BusyboxBinary = "/bin/busybox";

    private static readonly Lock s_gate = new();

    public static string Directory => Path.Combine(KubeBinaries.VersionDirectory, "images");

    /// <summary>Paths of the pause and busybox archives, made first when missing or stale.</summary>
    internal static IReadOnlyList<string> EnsureCached(Action<string>? log)
    {
        lock (s_gate)
        {
            _ = System.IO.Directory.CreateDirectory(Directory);
            return [EnsurePause(log), EnsureBusybox(log)];
        }
    }

    private static string EnsurePause(Action<string>? log)
    {
        byte[] pause = File.ReadAllBytes(KubeBinaries.PathOf("pause"));
        string path = CachePath("pause", pause);
        if (!File.Exists(path))
        {
            log?.Invoke($"kube lab: making {Pause} in {path}");
            DockerArchive.Write(path, Pause, new JsonObject { ["Entrypoint"] = new JsonArray("/pause") },
                layer => DockerArchive.AddFile(layer, "pause", pause, DockerArchive.Mode("755")));
        }
        return path;
    }

    private static string EnsureBusybox(Action<string>? log)
    {
        byte[] busybox = File.ReadAllBytes(BusyboxBinary);
        string path = CachePath("busybox", busybox);
        if (File.Exists(path))
        {
            return path;
        }
        log?.Invoke($"kube lab: making {Busybox} in {path}");
        string[] applets = Command.Run(BusyboxBinary, "--list").EnsureSuccess().Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var config = new JsonObject
        {
            ["Env"] = new JsonArray("PATH=/bin:/sbin:/usr/bin:/usr/sbin"),
            ["Cmd"] = new JsonArray("sh"),
        };
        DockerArchive.Write(path, Busybox, config, layer =>
        {
            foreach (string dir in new[] { "bin", "dev", "etc", "proc", "root", "sys", "var" })
            {
                DockerArchive.AddDirectory(layer, dir, DockerArchive.Mode("755"));
            }
            DockerArchive.AddDirectory(layer, "tmp", DockerArchive.Mode("1777"));
            DockerArchive.AddFile(layer, "bin/busybox", busybox, DockerArchive.Mode("755"));
            foreach (string applet in applets.Where(a => a != "busybox").Order(StringComparer.Ordinal))
            {
                DockerArchive.AddSymlink(layer, "bin/" + applet, "busybox");
            }
            DockerArchive.AddFile(layer, "etc/passwd", Encoding.UTF8.GetBytes("root:x:0:0:root:/root:/bin/sh\n"));
            DockerArchive.AddFile(layer, "etc/group", Encoding.UTF8.GetBytes("root:x:0:\n"));
        });
        return path;
    }

    private static string CachePath(string name, byte[] content) =>
        Path.Combine(Directory, $"{name}-{DockerArchive.Sha256([.. content, .. Encoding.UTF8.GetBytes(Format)])[..12]}.tar");
}

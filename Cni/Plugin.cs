using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Weave.Cni.Commands;
using Weave.Cni.RouterApi;
using Weave.Cni.Spec;
using Weave.Linux;

namespace Weave.Cni;

/// <summary>
/// One invocation of the plugin: reads the CNI_* variables and the configuration, runs the
/// command, and writes its JSON (a result, or the spec's error JSON) to stdout. Returns the exit
/// code: 0 on success, 1 on any failure. Nothing escapes as an unhandled exception: an unexpected
/// one is reported as an error JSON too, naming itself.
/// </summary>
public static class Plugin
{
    /// <summary>How long one request to the router may take (an allocation waits while the
    /// address range is being agreed on or space is on its way from another peer).</summary>
    public static readonly TimeSpan RouterTimeout = TimeSpan.FromSeconds(30);

    public static int Run(IReadOnlyDictionary<string, string> variables, ReadOnlySpan<byte> stdin, TextWriter stdout, TextWriter stderr,
        Func<NetworkConfig, IRouterIpam>? routerFor = null)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var log = new CniLog(stderr);
        // The error JSON is written in the config's version, even when the environment is what is wrong.
        string? version = NetworkConfigParser.TryReadVersion(stdin);
        log.Context(CniEnvironment.Shorten(variables.GetValueOrDefault("CNI_COMMAND") ?? ""), variables.GetValueOrDefault("CNI_CONTAINERID") ?? "");
        try
        {
            CniEnvironment env = CniEnvironment.Parse(variables);
            if (env.Command == CniEnvironment.Version)
            {
                Write(stdout, VersionCommand.Run(stdin), CniJsonContext.Default.CniVersionReply);
                return 0;
            }
            NetworkConfig config = NetworkConfigParser.Parse(stdin);
            log.AlsoTo(config.LogFile);
            RequireCommandInVersion(env.Command, config.CniVersion!);
            IRouterIpam ipam = (routerFor ?? DefaultRouter)(config);
            CniTrace.Mark("config parsed");
            switch (env.Command)
            {
                case CniEnvironment.Add:
                    Write(stdout, new AddCommand(env, config, ipam, log).Run(), CniJsonContext.Default.CniResult);
                    break;
                case CniEnvironment.Del:
                    new DelCommand(env, ipam, log).Run();
                    break;
                case CniEnvironment.Check:
                    new CheckCommand(env, config, ipam).Run();
                    break;
                case CniEnvironment.Status:
                    new StatusCommand(ipam).Run();
                    break;
                case CniEnvironment.Gc:
                    _ = new GcCommand(config, ipam, log).Run();
                    break;
            }
            return 0;
        }
        catch (CniException e)
        {
            return Fail(stdout, log, version, e.Code, e.Message, e.Details);
        }
        catch (LinuxError e)
        {
            return Fail(stdout, log, version, CniErrorCode.LinkFailure, e.Message, null);
        }
#pragma warning disable CA1031 // the last resort: the runtime must get the spec's error JSON, not a stack trace
        catch (Exception e)
#pragma warning restore CA1031
        {
            return Fail(stdout, log, version, CniErrorCode.IoFailure, $"unexpected {e.GetType().Name}: {e.Message}", e.StackTrace);
        }
    }

    private static HttpRouterIpam DefaultRouter(NetworkConfig config) =>
        new HttpRouterIpam(new RawHttpClient(RouterEndpoint.Resolve(config.RouterAddress), RouterTimeout));

    private static void RequireCommandInVersion(string command, string version)
    {
        if (command == CniEnvironment.Check && !CniVersion.HasCheck(version))
        {
            throw new CniException(CniErrorCode.IncompatibleVersion, $"CHECK is not part of CNI {version}: it came with 0.4.0");
        }
        if (command is CniEnvironment.Status or CniEnvironment.Gc && !CniVersion.HasStatusAndGc(version))
        {
            throw new CniException(CniErrorCode.IncompatibleVersion, $"{command} is not part of CNI {version}: it came with 1.1.0");
        }
    }

    private static int Fail(TextWriter stdout, CniLog log, string? version, int code, string message, string? details)
    {
        log.Error($"code {code}: {message}" + (details is null ? "" : $" ({details})"));
        var error = new CniError
        {
            CniVersion = CniVersion.IsSupported(version) ? version : CniVersion.Latest,
            Code = code,
            Message = message,
            Details = details,
        };
        Write(stdout, error, CniJsonContext.Default.CniError);
        return 1;
    }

    private static void Write<T>(TextWriter stdout, T value, JsonTypeInfo<T> type)
    {
        stdout.Write(JsonSerializer.Serialize(value, type));
        stdout.Write('\n');
        stdout.Flush();
    }
}

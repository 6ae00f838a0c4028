using Weave.Cni.Spec;

namespace Weave.Cni.Commands;

/// <summary>VERSION: the versions we speak, answered in the config's version when it is one of
/// them, else in the latest. Needs no environment beyond CNI_COMMAND and tolerates any stdin:
/// runtimes probe with dummy values, and a plugin that fails the probe is silently dropped.</summary>
public static class VersionCommand
{
    public static CniVersionReply Run(ReadOnlySpan<byte> stdin)
    {
        string? asked = NetworkConfigParser.TryReadVersion(stdin);
        return new CniVersionReply
        {
            CniVersion = CniVersion.IsSupported(asked) ? asked : CniVersion.Latest,
            SupportedVersions = [.. CniVersion.Supported],
        };
    }
}

using Tmds.Linux;

namespace Weave.Linux;

/// <summary>What the current process may do to the network stack.</summary>
public static class Privileges
{
    /// <summary>Effective user is root. Creating bridges, TAP devices and namespaces needs it
    /// (strictly CAP_NET_ADMIN, but an operator running the router is expected to be root).</summary>
    public static bool IsRoot => LibC.geteuid() == 0;
}

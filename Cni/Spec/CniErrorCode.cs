namespace Weave.Cni.Spec;

/// <summary>The error codes of the CNI specification (1-99 are the spec's, 100 and up the plugin's),
/// carried in the <c>code</c> field of the error JSON on stdout.</summary>
public static class CniErrorCode
{
    public const int IncompatibleVersion = 1;
    public const int UnsupportedField = 2;
    public const int UnknownContainer = 3;
    public const int InvalidEnvironment = 4;
    public const int IoFailure = 5;
    public const int DecodeFailure = 6;
    public const int InvalidConfig = 7;
    public const int TryAgainLater = 11;

    /// <summary>STATUS: the plugin cannot add pods now (the router is unreachable or not ready).</summary>
    public const int PluginNotAvailable = 50;

    /// <summary>Ours: a netlink or other system call failed while setting up or removing the interface.</summary>
    public const int LinkFailure = 100;

    /// <summary>Ours: the router refused the request (its answer is in the message).</summary>
    public const int RouterRefused = 101;

    /// <summary>Ours: CHECK found the pod's network different from the previous result or the router's allocation.</summary>
    public const int CheckMismatch = 102;
}

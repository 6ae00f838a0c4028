namespace Weave.Npc;

/// <summary>
/// What the parsers accept at most, so that input from the API (or anyone able to write objects to
/// it) cannot make the controller allocate without bound. The whole object is bounded first (the
/// API server's own request limit), which bounds what deserializing it allocates; the counts then
/// bound the model kept for every pod and policy. The string limits are Kubernetes' own, so a
/// valid object never meets them. docs/networkpolicy.md lists them.
/// </summary>
public static class ParseLimits
{
    /// <summary>The API server refuses requests over 3 MiB, so no stored object is larger.</summary>
    public const int MaxObjectBytes = 3 * 1024 * 1024;

    public const int MaxJsonDepth = 64;
    public const int MaxNameLength = 253;
    public const int MaxLabels = 256;

    /// <summary>A DNS-subdomain prefix (253), a slash and a name (63).</summary>
    public const int MaxLabelKeyLength = 317;

    public const int MaxLabelValueLength = 63;
    public const int MaxMatchExpressions = 64;
    public const int MaxValuesPerExpression = 256;
    public const int MaxRulesPerDirection = 256;
    public const int MaxPeersPerRule = 256;
    public const int MaxPortsPerRule = 256;
    public const int MaxExceptsPerIpBlock = 64;
    public const int MaxAddressesPerPod = 8;

    /// <summary>Over all of a pod's containers.</summary>
    public const int MaxContainerPorts = 1024;

    /// <summary>IANA service names, which named ports are.</summary>
    public const int MaxPortNameLength = 15;
}

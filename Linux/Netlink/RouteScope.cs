namespace Weave.Linux;

/// <summary>A route's scope (enum rt_scope_t in linux/rtnetlink.h): how far away its destination is.</summary>
#pragma warning disable CA1028 // the kernel's field is one byte
public enum RouteScope : byte
#pragma warning restore CA1028
{
    /// <summary>RT_SCOPE_UNIVERSE: reached through a gateway (or anywhere).</summary>
    Universe = 0,

    /// <summary>RT_SCOPE_SITE: an interior route (IPv6 site-local).</summary>
    Site = 200,

    /// <summary>RT_SCOPE_LINK: directly attached, on the link itself, no gateway.</summary>
    Link = 253,

    /// <summary>RT_SCOPE_HOST: a local address of this host.</summary>
    Host = 254,

    /// <summary>RT_SCOPE_NOWHERE: no destination.</summary>
    Nowhere = 255,
}

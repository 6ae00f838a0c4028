namespace Weave.Linux.Netfilter;

/// <summary>The transport protocols a NetworkPolicy port can name; every other one is <see cref="Other"/>.</summary>
public enum LoggedProtocol
{
    Other,
    Tcp,
    Udp,
    Sctp,
}

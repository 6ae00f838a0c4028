using System.Net;
using Weave.Router.Api;

namespace Weave.Tests.Router;

/// <summary>The bridge's addresses as a list, for the API tests that have no bridge; <see cref="Fails"/> makes every change throw as netlink would without the bridge.</summary>
internal sealed class ListBridge : IBridgeAddresses
{
    private readonly List<(IPAddress Address, int PrefixLength)> _addresses = [];

    public bool Fails { get; set; }

    public string Name => "weave";

    public void Add(IPAddress address, int prefixLength)
    {
        ThrowIfFailing();
        if (!_addresses.Any(a => a.Address.Equals(address)))
        {
            _addresses.Add((address, prefixLength));
        }
    }

    public bool Remove(IPAddress address)
    {
        ThrowIfFailing();
        return _addresses.RemoveAll(a => a.Address.Equals(address)) > 0;
    }

    public IReadOnlyList<(IPAddress Address, int PrefixLength)> List() => [.. _addresses];

    private void ThrowIfFailing()
    {
        if (Fails)
        {
            throw new InvalidOperationException("bridge weave does not exist");
        }
    }
}

using Weave.Ipam;

namespace Weave.Tests.Ipam;

/// <summary>The naive allocator the real one must agree with when it owns its whole range alone.</summary>
internal sealed class ReferenceAllocator
{
    private readonly Dictionary<uint, string> _holders = [];

    public IpamErrorKind Allocate(string id, Cidr subnet, out uint address)
    {
        address = _holders.Where(p => p.Value == id && p.Key >= subnet.FirstHostValue && p.Key <= subnet.LastHostValue)
            .Select(p => p.Key).DefaultIfEmpty(0u).Min();
        if (address != 0)
        {
            return IpamErrorKind.None;
        }
        for (ulong a = subnet.FirstHostValue; a <= subnet.LastHostValue; a++)
        {
            if (!_holders.ContainsKey((uint)a))
            {
                address = (uint)a;
                _holders[address] = id;
                return IpamErrorKind.None;
            }
        }
        return IpamErrorKind.NoSpace;
    }

    public IpamErrorKind Claim(string id, uint address, int prefix)
    {
        uint mask = Cidr.Mask(prefix);
        if (prefix <= 30 && ((address & ~mask) == 0 || (address | mask) == uint.MaxValue))
        {
            return IpamErrorKind.Invalid;
        }
        if (_holders.TryGetValue(address, out string? holder))
        {
            return holder == id ? IpamErrorKind.None : IpamErrorKind.Conflict;
        }
        _holders[address] = id;
        return IpamErrorKind.None;
    }

    public IpamErrorKind Release(string id)
    {
        uint[] mine = [.. _holders.Where(p => p.Value == id).Select(p => p.Key)];
        foreach (uint a in mine)
        {
            _holders.Remove(a);
        }
        return mine.Length > 0 ? IpamErrorKind.None : IpamErrorKind.NotFound;
    }

    public IpamErrorKind Release(string id, uint address)
    {
        if (!_holders.TryGetValue(address, out string? holder) || holder != id)
        {
            return IpamErrorKind.NotFound;
        }
        _holders.Remove(address);
        return IpamErrorKind.None;
    }

    public IEnumerable<(string Id, uint Address)> All() => _holders.OrderBy(p => p.Key).Select(p => (p.Value, p.Key));
}

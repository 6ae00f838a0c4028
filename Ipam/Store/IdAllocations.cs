namespace Weave.Ipam.Store;

/// <summary>
/// One ID's addresses and metadata, as the allocator holds and saves them. Neither the array nor the
/// dictionary is changed once built (the allocator replaces them), so a save can encode them on
/// another thread while the allocator goes on.
/// </summary>
internal readonly record struct IdAllocations(string Id, (uint Address, int Prefix)[] Addresses, IReadOnlyDictionary<string, string> Metadata);

using Xunit;

// Tests here build namespaces, bridges and routers on one machine; one at a time keeps them
// independent (a router binds 6783 in its own namespace, but CPU and timing are shared).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

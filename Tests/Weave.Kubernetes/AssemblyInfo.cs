using Xunit;

// A cluster takes most of the machine (two cores, ~1 GiB); clusters one at a time keep timings sane.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

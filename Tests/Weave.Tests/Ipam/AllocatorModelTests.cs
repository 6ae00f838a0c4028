using System.Net;
using Weave.Ipam;
using Xunit;
using Xunit.Abstractions;

namespace Weave.Tests.Ipam;

/// <summary>
/// Model-based: one allocator that owns its whole range, driven by random operations (with
/// restarts from its store), always answers as the naive <see cref="ReferenceAllocator"/>:
/// lowest free host address, idempotent allocation, release by ID and by address, claims.
/// </summary>
public sealed class AllocatorModelTests(ITestOutputHelper output)
{
    private const int Schedules = 2500;

    [Fact]
    public void Allocator_AgreesWithTheReferenceModel()
    {
        int ops = 0;
        string? replay = Environment.GetEnvironmentVariable("WEAVE_IPAM_SEED");
        IEnumerable<int> seeds = replay is { Length: > 0 } ? [int.Parse(replay, System.Globalization.CultureInfo.InvariantCulture)] : Enumerable.Range(1, Schedules);
        foreach (int seed in seeds)
        {
            ops += RunOne(seed);
        }
        output.WriteLine($"{Schedules} schedules, {ops} operations");
    }

    private static int RunOne(int seed)
    {
        var random = new Random(seed);
        var host = new IpamTestHost();
        var model = new ReferenceAllocator();
        Cidr range = host.Options.Range;
        Cidr[] subnets = [range, Cidr.Parse("10.32.0.0/28"), Cidr.Parse("10.32.0.16/28"), Cidr.Parse("10.32.0.32/27")];
        var trace = new List<string>();
        int steps = random.Next(10, 80);
        for (int step = 0; step < steps; step++)
        {
            string id = $"c{random.Next(12)}";
            int dice = random.Next(100);
            string line;
            if (dice < 50)
            {
                Cidr subnet = subnets[random.Next(subnets.Length)];
                Task<AllocationResult> task = host.Allocator.Allocate(id, subnet);
                Assert.True(task.IsCompleted, $"seed {seed}: a lone owner answers at once");
                AllocationResult actual = task.Result;
                IpamErrorKind expected = model.Allocate(id, subnet, out uint address);
                line = $"allocate {id} {subnet}: {actual} (model {expected} {Ip4.Format(address)})";
                trace.Add(line);
                Check(seed, trace, expected == actual.Error && (expected != IpamErrorKind.None || actual.Address!.Equals(Ip4.ToAddress(address))));
            }
            else if (dice < 65)
            {
                uint address = range.Start + (uint)random.Next((int)range.Size);
                int prefix = random.Next(2) == 0 ? range.PrefixLength : 28;
                AllocationResult actual = host.Allocator.Claim(id, Ip4.ToAddress(address), prefix).Result;
                IpamErrorKind expected = model.Claim(id, address, prefix);
                trace.Add($"claim {id} {Ip4.Format(address)}/{prefix}: {actual} ({actual.Error}; model {expected})");
                Check(seed, trace, expected == actual.Error);
            }
            else if (dice < 80)
            {
                AllocationResult actual = host.Allocator.Release(id).Done();
                IpamErrorKind expected = model.Release(id);
                trace.Add($"release {id}: {actual.Error} (model {expected})");
                Check(seed, trace, expected == actual.Error);
            }
            else if (dice < 90)
            {
                uint address = range.Start + (uint)random.Next((int)range.Size);
                AllocationResult actual = host.Allocator.Release(id, Ip4.ToAddress(address)).Done();
                IpamErrorKind expected = model.Release(id, address);
                trace.Add($"release {id} {Ip4.Format(address)}: {actual.Error} (model {expected})");
                Check(seed, trace, expected == actual.Error);
            }
            else
            {
                trace.Add("restart");
                host.Restart();
            }
            host.Allocator.CheckInvariants();
            var actualAll = host.Allocator.List().Select(a => (a.Id, Ip4.ToUInt(a.Address))).ToList();
            Check(seed, trace, actualAll.SequenceEqual(model.All()));
            var lookup = host.Allocator.Lookup(id).Select(a => Ip4.ToUInt(a.Address)).Order();
            Check(seed, trace, lookup.SequenceEqual(model.All().Where(a => a.Id == id).Select(a => a.Address).Order()));
        }
        return steps;
    }

    private static void Check(int seed, List<string> trace, bool ok)
    {
        if (!ok)
        {
            throw new Xunit.Sdk.XunitException($"model disagrees (seed {seed}; replay with WEAVE_IPAM_SEED={seed}):\n" + string.Join("\n", trace.TakeLast(30)));
        }
    }

    [Fact]
    public void Allocate_IsLowestFreeAndIdempotent()
    {
        var host = new IpamTestHost();
        Assert.Equal("10.32.0.1/26", host.Allocator.Allocate("a").Done().ToString());
        Assert.Equal("10.32.0.2/26", host.Allocator.Allocate("b").Done().ToString());
        Assert.Equal("10.32.0.1/26", host.Allocator.Allocate("a").Done().ToString());
        Assert.True(host.Allocator.Release("a").Done().Succeeded);
        Assert.Equal("10.32.0.1/26", host.Allocator.Allocate("c").Done().ToString());
        Assert.Equal(IpamErrorKind.NotFound, host.Allocator.Release("a").Done().Error);
        Assert.Equal(IpamErrorKind.Conflict, host.Allocator.Claim("d", IPAddress.Parse("10.32.0.2"), 26).Done().Error);
        Assert.Equal(IpamErrorKind.Invalid, host.Allocator.Allocate("e", Cidr.Parse("10.33.0.0/24")).Done().Error);
        Assert.Equal(IpamErrorKind.Invalid, host.Allocator.Allocate("").Done().Error);
    }

    [Theory]
    [InlineData("192.168.7.7", 24, "outside the range 10.32.0.0/26")]
    [InlineData("1.2.3.4", 12, "outside the range 10.32.0.0/26")]
    [InlineData("10.32.0.5", 12, "the prefix length must be the range's")]
    [InlineData("10.32.0.5", 25, "the prefix length must be the range's")]
    [InlineData("10.32.0.5", 31, "the prefix length must be the range's")]
    [InlineData("10.32.0.5", 32, "the prefix length must be the range's")]
    public void Claim_OutsideTheRange_OrPrefixUnlikeItsSubnets_IsRefusedSayingWhy(string address, int prefixLength, string expected)
    {
        var host = new IpamTestHost();

        AllocationResult claimed = host.Allocator.Claim("c", IPAddress.Parse(address), prefixLength).Done();

        Assert.Equal(IpamErrorKind.Invalid, claimed.Error);
        Assert.Contains(expected, claimed.Message, StringComparison.Ordinal);
        Assert.Empty(host.Allocator.Lookup("c"));
    }

    [Theory]
    [InlineData(26)]
    [InlineData(28)]
    [InlineData(30)]
    public void Claim_TheRangesPrefix_OrASubnetsOfIt_IsTaken(int prefixLength)
    {
        var host = new IpamTestHost();

        Assert.Equal($"10.32.0.5/{prefixLength}", host.Allocator.Claim("c", IPAddress.Parse("10.32.0.5"), prefixLength).Done().ToString());
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("a b")]
    [InlineData("a\tb")]
    [InlineData("\u001b[31mred")]
    [InlineData("nul\0")]
    public void Allocate_IdWithSpaceOrControlCharacter_IsRefused(string id)
    {
        var host = new IpamTestHost();

        AllocationResult allocated = host.Allocator.Allocate(id).Done();

        Assert.Equal(IpamErrorKind.Invalid, allocated.Error);
        Assert.Contains("printable characters without spaces", allocated.Message, StringComparison.Ordinal);
        Assert.Equal(IpamErrorKind.Invalid, host.Allocator.Claim(id, IPAddress.Parse("10.32.0.5"), 26).Done().Error);
        Assert.Empty(host.Allocator.List());
    }

    [Fact]
    public void Allocate_FullRangeAlone_FailsWithNoSpaceNamingTheSubnet()
    {
        var host = new IpamTestHost();
        for (int i = 0; i < 14; i++)
        {
            Assert.True(host.Allocator.Allocate($"p{i}", Cidr.Parse("10.32.0.16/28")).Done().Succeeded);
        }
        AllocationResult full = host.Allocator.Allocate("p14", Cidr.Parse("10.32.0.16/28")).Done();
        Assert.Equal(IpamErrorKind.NoSpace, full.Error);
        Assert.Equal("no free addresses in 10.32.0.16/28", full.Message);
    }

    [Fact]
    public void Metadata_IsKeptAcrossRestarts()
    {
        var host = new IpamTestHost();
        host.Allocator.Allocate("pod1", null, new Dictionary<string, string> { ["namespace"] = "default", ["name"] = "web" }).Done();
        host.Restart();
        IpamAllocation a = Assert.Single(host.Allocator.List());
        Assert.Equal("web", a.Metadata["name"]);
        Assert.Equal("default", a.Metadata["namespace"]);
    }

    [Fact]
    public void Save_HappensBeforeTheResult_AndAFailedSaveChangesNothing()
    {
        var host = new IpamTestHost();
        int before = host.Store.Saves;
        Assert.True(host.Allocator.Allocate("a").Done().Succeeded);
        Assert.Equal(before + 1, host.Store.Saves);
        host.Store.FailSaves = true;
        Assert.Equal(IpamErrorKind.StoreFailed, host.Allocator.Allocate("b").Done().Error);
        Assert.Equal(IpamErrorKind.StoreFailed, host.Allocator.Release("a").Done().Error);
        Assert.Single(host.Allocator.List());
        host.Allocator.CheckInvariants();
        host.Store.FailSaves = false;
        host.Restart();
        Assert.Equal("a", Assert.Single(host.Allocator.List()).Id);
    }
}

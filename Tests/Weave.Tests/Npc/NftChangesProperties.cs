using FsCheck.Xunit;
using Weave.Npc.Enforcement;
using Xunit;

namespace Weave.Tests.Npc;

/// <summary>
/// <see cref="NftChanges"/> against <see cref="NftRuleset"/> on random sequences of clusters
/// (<see cref="ClusterSteps"/>): interpreted by <see cref="NftTableModel"/>, the table of the
/// first plan changed step by step is each time the table rendered whole from the step's plan,
/// every statement in an order nft accepts, and no counter of a chain that stays is recreated.
/// The seed is printed on failure.
/// </summary>
public sealed class NftChangesProperties
{
    private const int Cases = 1_000;
    private const int Steps = 12;
    private const string Node = "n1";

    [Property(Arbitrary = [typeof(NpcArbitraries)], MaxTest = Cases)]
    public void Changes_TurnTheAppliedTableIntoTheWantedOne(NpcSeed seed)
    {
        var random = new Random(seed.Value);
        RandomCluster cluster = ClusterSteps.First(random);
        EnforcementPlan applied = Compile(cluster);
        NftTableModel table = NftTableModel.Of(NftRuleset.Render(applied));
        for (int step = 0; step < Steps; step++)
        {
            cluster = ClusterSteps.Next(cluster, random, step);
            EnforcementPlan wanted = Compile(cluster);
            string script = NftChanges.Render(applied, wanted);
            var serials = applied.Chains.Keys.Where(wanted.Chains.ContainsKey).ToDictionary(c => c, table.CounterSerial);
            Exception? refused = Record.Exception(() => table.Apply(script));
            Assert.True(refused is null, $"seed {seed.Value} step {step}: {refused?.Message}{Environment.NewLine}{script}");
            Assert.True(NftTableModel.Of(NftRuleset.Render(wanted)).Describe() == table.Describe(),
                $"seed {seed.Value} step {step}: the changed table is not the wanted one{Environment.NewLine}{script}");
            Assert.All(serials, s => Assert.True(table.CounterSerial(s.Key) == s.Value, $"seed {seed.Value} step {step}: counter {s.Key} was recreated"));
            Assert.True(NftChanges.Render(wanted, wanted).Length == 0, $"seed {seed.Value} step {step}: a plan against itself gives a script");
            applied = wanted;
        }
    }

    /// <summary>The property is not won by scripts that do little: over 200 seeds, the steps use every kind of statement.</summary>
    [Fact]
    public void Changes_OfRandomSteps_UseEveryKindOfStatement()
    {
        string[] kinds = ["delete element", "add element", "flush chain", "delete chain", "delete counter", "delete set", "\tset ", "\tcounter ", "\tchain "];
        var seen = kinds.ToDictionary(k => k, _ => 0);
        int empty = 0;
        for (int seed = 0; seed < 200; seed++)
        {
            var random = new Random(seed);
            RandomCluster cluster = ClusterSteps.First(random);
            EnforcementPlan applied = Compile(cluster);
            for (int step = 0; step < Steps; step++)
            {
                cluster = ClusterSteps.Next(cluster, random, step);
                EnforcementPlan wanted = Compile(cluster);
                string script = NftChanges.Render(applied, wanted);
                empty += script.Length == 0 ? 1 : 0;
                foreach (string kind in kinds)
                {
                    seen[kind] += script.Contains(kind, StringComparison.Ordinal) ? 1 : 0;
                }
                applied = wanted;
            }
        }
        Assert.True(seen.Values.All(n => n > 20) && empty > 0 && empty < 200 * Steps * 2 / 3,
            $"{empty} empty scripts; {string.Join(", ", seen.Select(s => $"{s.Key.Trim()}: {s.Value}"))}");
    }

    private static EnforcementPlan Compile(RandomCluster cluster) =>
        EnforcementCompiler.Compile(cluster.Namespaces, cluster.Pods, cluster.Policies, Node);
}

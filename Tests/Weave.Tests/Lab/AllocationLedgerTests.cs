using Weave.Lab.Soak;
using Xunit;

namespace Weave.Tests.Lab;

/// <summary>The soak's judge: each kind of violation is found, and unanswered requests are settled, not blamed.</summary>
public sealed class AllocationLedgerTests
{
    private static Dictionary<int, Dictionary<string, string>> Observed(int host, params (string Id, string Address)[] held) =>
        new() { [host] = held.ToDictionary(h => h.Id, h => h.Address, StringComparer.Ordinal) };

    [Fact]
    public void Check_OfWhatWasAcknowledged_FindsNothing()
    {
        var ledger = new AllocationLedger();
        ledger.Allocated(0, "a", "10.32.0.1");
        ledger.Allocated(0, "b", "10.32.0.2");
        ledger.Freed("b");

        Assert.Empty(ledger.Check(Observed(0, ("a", "10.32.0.1"))));
        Assert.Equal(1, ledger.HeldCount);
    }

    [Fact]
    public void Check_FindsLostMovedBackAndUnknown()
    {
        var ledger = new AllocationLedger();
        ledger.Allocated(0, "lost", "10.32.0.1");
        ledger.Allocated(0, "moved", "10.32.0.2");
        ledger.Allocated(0, "freed", "10.32.0.3");
        ledger.Freed("freed");

        List<string> violations = ledger.Check(Observed(0, ("moved", "10.32.0.9"), ("freed", "10.32.0.3"), ("stranger", "10.32.0.4")));

        Assert.Equal(4, violations.Count);
        Assert.Contains(violations, v => v.StartsWith("lost: lost", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("moved: moved acknowledged as 10.32.0.2, now 10.32.0.9", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("back: freed", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("unknown: host 0 holds stranger", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_FindsAnAddressHeldTwice_AcrossRouters_AndAgainstARouterThatIsDown()
    {
        var ledger = new AllocationLedger();
        ledger.Allocated(0, "a", "10.32.0.1");
        ledger.Allocated(1, "b", "10.32.0.1");
        ledger.Allocated(2, "c", "10.32.0.7");
        ledger.Allocated(1, "d", "10.32.0.8");

        // Host 2 is down: its acknowledged allocation still counts against what host 1 hands out.
        var observed = new Dictionary<int, Dictionary<string, string>>
        {
            [0] = new(StringComparer.Ordinal) { ["a"] = "10.32.0.1" },
            [1] = new(StringComparer.Ordinal) { ["b"] = "10.32.0.1", ["d"] = "10.32.0.7" },
        };
        List<string> violations = ledger.Check(observed);

        Assert.Contains("duplicate: 10.32.0.1 held by a, b", violations);
        Assert.Contains("duplicate: 10.32.0.7 held by c, d", violations);
    }

    [Fact]
    public void Check_SettlesUnansweredRequests_OfRoutersThatAnswer_AndKeepsThoseOfRoutersThatAreDown()
    {
        var ledger = new AllocationLedger();
        ledger.AllocationUnanswered(0, "happened");
        ledger.AllocationUnanswered(0, "never");
        ledger.Allocated(0, "kept", "10.32.0.3");
        ledger.FreeUnanswered("kept");
        ledger.Allocated(0, "gone", "10.32.0.4");
        ledger.FreeUnanswered("gone");
        ledger.AllocationUnanswered(1, "later");

        Assert.Empty(ledger.Check(Observed(0, ("happened", "10.32.0.1"), ("kept", "10.32.0.3"))));
        Assert.Equal(["happened", "kept"], ledger.HeldBy(0).Order(StringComparer.Ordinal));
        Assert.Empty(ledger.HeldBy(1));

        // Host 1 comes back holding the request it never answered: settled, not blamed.
        Assert.Empty(ledger.Check(Observed(1, ("later", "10.32.0.5"))));
        Assert.Equal(["later"], ledger.HeldBy(1));
    }
}

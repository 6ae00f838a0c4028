using Xunit;

namespace Weave.Tests.Simulation;

/// <summary>
/// A minimal reproduction of a MeshNode bug found by the simulator, kept out of the default run
/// (it fails until the bug is fixed): set <c>WEAVE_SIM_KNOWN_BUGS=1</c> to run it.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class KnownMeshBugFactAttribute : FactAttribute
{
    public const string Variable = "WEAVE_SIM_KNOWN_BUGS";

    public KnownMeshBugFactAttribute(string bug)
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"known MeshNode bug, fails until fixed: {bug} (set {Variable}=1 to run)";
        }
    }
}

namespace Weave.Simulation;

/// <summary>A simulation went wrong; the message carries the seed, the options and the schedule (<see cref="SimulatedMesh.Describe"/>).</summary>
public sealed class SimulationException : Exception
{
    public SimulationException()
    {
    }

    public SimulationException(string message) : base(message)
    {
    }

    public SimulationException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

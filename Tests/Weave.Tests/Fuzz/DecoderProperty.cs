using FsCheck;
using FsCheck.Fluent;
using Xunit;
using Xunit.Sdk;

namespace Weave.Tests.Fuzz;

/// <summary>
/// The law every decoder of bytes from outside keeps: whatever it is given, it answers (accepted
/// or refused), and throws nothing but its own error. Each check runs <see cref="Cases"/> inputs
/// (<see cref="WireInput"/>); a failure names the seed and the input. It also counts both answers,
/// so a check that never refuses (or, where valid inputs survive damage, never accepts) fails:
/// a property that cannot fail is no test.
/// </summary>
internal static class DecoderProperty
{
    public const int Cases = 100_000;

    /// <param name="decode">Decodes one input; true when it accepted it.</param>
    /// <param name="ownError">The decoder's own error type, when it reports refusals by throwing.</param>
    /// <param name="someAccepted">Whether damaged valid inputs are expected to pass sometimes (damage in a field the decoder does not check).</param>
    public static void Check(string decoder, IReadOnlyList<byte[]> valid, Func<byte[], bool> decode, Type? ownError = null, bool someAccepted = true)
    {
        ArgumentNullException.ThrowIfNull(decode);
        int accepted = 0, refused = 0;
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            byte[] input = WireInput.From(seed, valid);
            try
            {
                if (decode(input))
                {
                    accepted++;
                }
                else
                {
                    refused++;
                }
            }
            catch (Exception e) when (ownError is not null && ownError.IsInstanceOfType(e))
            {
                refused++;
            }
            catch (Exception e)
            {
                throw new XunitException($"{decoder} threw {e.GetType().Name} for seed {seed}: {e.Message}\ninput: {Convert.ToHexString(input)}");
            }
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true));
        Assert.True(refused > 0, $"{decoder} refused none of {Cases} damaged inputs");
        if (someAccepted)
        {
            Assert.True(accepted > 0, $"{decoder} accepted none of {Cases} inputs, valid ones with harmless damage included");
        }
    }
}

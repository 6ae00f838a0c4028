using MessagePack;
using Weave.Gossip;
using Weave.Gossip.Protocol;
using Xunit;

namespace Weave.Tests.Gossip;

/// <summary>When a link's data goes unencrypted: only with a password and both ends trusting the other.</summary>
public sealed class DataTrustTests
{
    /// <summary>The remote's intro as it arrives: saying Trusted true, false, or nothing (an older peer).</summary>
    private static bool RemoteTrusted(string? said)
    {
        var map = new Dictionary<string, string>
        {
            ["Name"] = "5e:1a:00:00:00:02",
            ["UID"] = "2",
            ["ConnID"] = "3",
            ["DataPort"] = "6784",
        };
        if (said is not null)
        {
            map["Trusted"] = said;
        }
        Assert.True(PeerIntro.TryDecode(MessagePackSerializer.Serialize(map), out PeerIntro? intro, out string error), error);
        return intro!.Trusted;
    }

    [Theory]
    // password, we trust them, what they said, sealed
    [InlineData(true, true, "true", false)]   // both: plaintext data
    [InlineData(true, true, "false", true)]   // only we trust them
    [InlineData(true, false, "true", true)]   // only they trust us
    [InlineData(true, false, "false", true)]  // neither
    [InlineData(true, true, null, true)]      // an older peer says nothing: not trusting
    [InlineData(true, false, null, true)]
    [InlineData(false, true, "true", false)]  // no password: nothing is sealed anyway
    [InlineData(false, false, "false", false)]
    [InlineData(false, false, null, false)]
    public void IsDataSealed_Table(bool password, bool weTrustThem, string? theySaid, bool expected)
    {
        Assert.Equal(expected, DataTrust.IsDataSealed(password, weTrustThem, RemoteTrusted(theySaid)));
    }
}

using Weave.Crypto;

namespace Weave.Tests.Crypto;

internal static class TestKeys
{
    public static byte[] Key(byte fill) => Enumerable.Repeat(fill, RecordFormat.KeySizeBytes).ToArray();

    public static IEnumerable<object[]> Suites() =>
        CipherSuites.Supported.Select(s => new object[] { s });
}

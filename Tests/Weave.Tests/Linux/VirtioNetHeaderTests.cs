using Weave.Linux;
using Xunit;

namespace Weave.Tests.Linux;

public sealed class VirtioNetHeaderTests
{
    [Fact]
    public void Write_ThenTryRead_RoundTripsWithLittleEndianFields()
    {
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn,
            66, 1448, 34, 16);
        byte[] bytes = new byte[12];
        header.Write(bytes);
        Assert.Equal(Convert.FromHexString("0181" + "4200" + "a805" + "2200" + "1000" + "0000"), bytes);
        Assert.True(VirtioNetHeader.TryRead(bytes, out VirtioNetHeader read));
        Assert.Equal(header, read);
        Assert.Equal(VirtioNetHeader.GsoTcpV4, read.GsoKind);
        Assert.True(read.IsGso);
        Assert.True(read.NeedsChecksum);
    }

    [Fact]
    public void ShortSpans_AreRefused()
    {
        Assert.False(VirtioNetHeader.TryRead(new byte[9], out _));
        Assert.False(default(VirtioNetHeader).TryWrite(new byte[9]));
        Assert.Throws<ArgumentException>(() => default(VirtioNetHeader).Write(new byte[9]));
        Assert.False(default(VirtioNetHeader).IsGso);
    }
}

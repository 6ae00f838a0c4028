using Weave.Router;
using Xunit;

namespace Weave.Tests.Router;

public sealed class LogTextTests
{
    [Theory]
    [InlineData("host-1", "host-1")]
    [InlineData("fake\u001b[2J\0peer", @"fake\x1b[2J\x00peer")]
    [InlineData("line\nforged 2026-01-01 warn", @"line\x0aforged 2026-01-01 warn")]
    [InlineData("storm\u0007\u009b31m", @"storm\x07\x9b31m")]
    [InlineData("sep\u2028x\u007f", @"sep\u2028x\x7f")]
    [InlineData(@"a\x1b", @"a\\x1b")]
    [InlineData("nïckname ✓", "nïckname ✓")]
    public void Escape_ControlCharactersShownAsEscapes(string text, string expected) =>
        Assert.Equal(expected, LogText.Escape(text));

    [Fact]
    public void Escape_PlainText_SameInstance()
    {
        string text = "12:34:56:78:9a:bc(node-1)";
        Assert.Same(text, LogText.Escape(text));
    }
}

using Weave.Router.Cli;
using Xunit;

namespace Weave.Tests.Router;

/// <summary><c>weave report -f</c>: the Go-template subset over a report-shaped JSON.</summary>
public sealed class ReportTemplateTests
{
    private const string Report = """
        {
          "Router": {
            "Name": "5e:1a:00:00:00:01",
            "NickName": "host1",
            "Connections": [
              { "Address": "10.0.0.2:6783", "State": "established", "Encrypted": false },
              { "Address": "10.0.0.3:6783", "State": "failed", "Encrypted": true }
            ],
            "Targets": [],
            "Ports": { "mesh": 6783, "data": 6784 }
          },
          "IPAM": { "Range": "10.32.0.0/12", "Ready": true, "Pending": 0, "Nothing": null }
        }
        """;

    private static string Render(string template) => ReportTemplate.Parse(template).Render(Report);

    [Theory]
    [InlineData("{{.Router.Name}}", "5e:1a:00:00:00:01")]
    [InlineData("name {{.Router.Name}} ({{.Router.NickName}})\n", "name 5e:1a:00:00:00:01 (host1)\n")]
    [InlineData("{{$.IPAM.Range}}", "10.32.0.0/12")]
    [InlineData("{{.IPAM.Ready}} {{.IPAM.Pending}} {{.IPAM.Nothing}}", "true 0 <nil>")]
    [InlineData("{{.IPAM.Missing}}", "<no value>")]
    [InlineData("{{.Router.Missing.Deeper}}", "<no value>")]
    [InlineData("{{len .Router.Connections}}", "2")]
    [InlineData("{{len .Router.NickName}}", "5")]
    [InlineData("{{json .Router.Ports}}", "{\"mesh\":6783,\"data\":6784}")]
    [InlineData("{{.Router.Ports}}", "{\"mesh\":6783,\"data\":6784}")]
    [InlineData("{{\"a\\tb\\n\"}}", "a\tb\n")]
    [InlineData("{{/* a comment with }} inside */}}x", "x")]
    public void Render_FieldsLiteralsAndFunctions(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Fact]
    public void Render_RangeOverAnArray_InOrder_WithDotEachItem_AndDollarTheTop()
    {
        Assert.Equal("10.0.0.2:6783 established host1\n10.0.0.3:6783 failed host1\n",
            Render("{{range .Router.Connections}}{{.Address}} {{.State}} {{$.Router.NickName}}{{\"\\n\"}}{{end}}"));
    }

    [Fact]
    public void Render_RangeOverAnObject_BySortedKey_AndElseWhenEmpty()
    {
        Assert.Equal("6784 6783 ", Render("{{range .Router.Ports}}{{.}} {{end}}"));
        Assert.Equal("none", Render("{{range .Router.Targets}}{{.}}{{else}}none{{end}}"));
        Assert.Equal("none", Render("{{range .Router.Missing}}{{.}}{{else}}none{{end}}"));
    }

    [Fact]
    public void Render_IfElse_WithGosTruth()
    {
        Assert.Equal("encrypted", Render("{{range .Router.Connections}}{{if .Encrypted}}encrypted{{end}}{{end}}"));
        Assert.Equal("no", Render("{{if .IPAM.Pending}}yes{{else}}no{{end}}"));
        Assert.Equal("no", Render("{{if .Router.Targets}}yes{{else}}no{{end}}"));
        Assert.Equal("yes", Render("{{if .Router.Name}}yes{{else}}no{{end}}"));
    }

    [Fact]
    public void Render_TrimMarkers_TrimTheSpaceBeside()
    {
        Assert.Equal("a ,b", Render("a ,  {{- \"\" -}}  \n b"));
        Assert.Equal("host1|", Render("{{.Router.NickName}}  \n  {{- \"|\"}}"));
        Assert.Equal("|host1", Render("{{\"|\" -}}  \n  {{.Router.NickName}}"));
    }

    [Theory]
    [InlineData("{{.Router.Name", "has no closing }}")]
    [InlineData("{{range .Router.Connections}}x", "has no {{end}}")]
    [InlineData("{{end}}", "closes nothing")]
    [InlineData("{{if .A}}a{{else}}b{{else}}c{{end}}", "a second {{else}}")]
    [InlineData("{{printf \"%s\" .A}}", "unknown function 'printf'")]
    [InlineData("{{.Router.Name | len}}", "pipes and arguments are not supported")]
    [InlineData("{{len}}", "takes one value")]
    [InlineData("{{range}}{{end}}", "needs a value")]
    [InlineData("{{\"open}}", "unterminated string")]
    [InlineData("{{\"\\x\"}}", "unknown escape")]
    [InlineData("{{/* open }}", "unterminated comment")]
    [InlineData("{{.a..b}}", "is not a field path")]
    [InlineData("{{}}", "empty action")]
    [InlineData("{{else if .A}}", "only a bare {{else}}")]
    public void Parse_Malformed_OneLineSayingWhereAndWhat(string template, string expected)
    {
        var e = Assert.Throws<CliException>(() => ReportTemplate.Parse(template));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("report -f: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("{{.Router.Name.First}}", "can't evaluate field First")]
    [InlineData("{{.Router.Connections.Address}}", "use {{range}}")]
    [InlineData("{{range .Router.Name}}{{end}}", "range at character 1 over .Router.Name, which is a string")]
    [InlineData("{{len .IPAM.Pending}}", "it is a number")]
    [InlineData("{{len .IPAM.Missing}}", "it has no value")]
    public void Render_ValueUsedWrongly_OneLineSayingWhat(string template, string expected)
    {
        var e = Assert.Throws<CliException>(() => Render(template));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Parse_TooLongOrTooDeep_IsRefused()
    {
        Assert.Contains("longer than", Assert.Throws<CliException>(() => ReportTemplate.Parse(new string('x', ReportTemplate.MaxLength + 1))).Message, StringComparison.Ordinal);
        string deep = string.Concat(Enumerable.Repeat("{{if .A}}", ReportTemplate.MaxDepth + 2)) + string.Concat(Enumerable.Repeat("{{end}}", ReportTemplate.MaxDepth + 2));
        Assert.Contains("nested", Assert.Throws<CliException>(() => ReportTemplate.Parse(deep)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_NotJson_IsOneLine()
    {
        var e = Assert.Throws<CliException>(() => ReportTemplate.Parse("{{.}}").Render("<html>"));
        Assert.Contains("not JSON", e.Message, StringComparison.Ordinal);
    }
}

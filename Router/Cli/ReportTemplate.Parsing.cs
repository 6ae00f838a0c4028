using System.Text;

namespace Weave.Router.Cli;

/// <summary>The template's syntax: text and actions, then a tree of nodes.</summary>
public sealed partial class ReportTemplate
{
    private abstract record Node;

    private sealed record TextNode(string Text) : Node;

    private sealed record PrintNode(Expression Expression) : Node;

    private sealed record IfNode(Expression Expression, List<Node> Then, List<Node> Else) : Node;

    private sealed record RangeNode(Expression Expression, List<Node> Body, List<Node> Else, int Position) : Node;

    private abstract record Expression(int Position);

    private sealed record Literal(string Text, int Position) : Expression(Position);

    /// <summary><c>.A.B</c> from the current value, or <c>$.A.B</c> from the top; no fields is the value itself.</summary>
    private sealed record FieldPath(bool FromRoot, string[] Fields, int Position) : Expression(Position);

    private sealed record Call(string Function, Expression Argument, int Position) : Expression(Position);

    /// <summary>Text between actions, or an action's body (trimmed) with its position in the template.</summary>
    private sealed record Token(bool IsAction, string Text, int Position)
    {
        public string Keyword => Text.Split((char[])[' ', '\t', '\n', '\r'], 2)[0];
    }

    private static readonly string[] s_functions = ["len", "json"];

    private static List<Token> Lex(string template)
    {
        var tokens = new List<Token>();
        int at = 0;
        bool trimNext = false;
        while (at <= template.Length)
        {
            int open = template.IndexOf("{{", at, StringComparison.Ordinal);
            string text = template[at..(open < 0 ? template.Length : open)];
            if (trimNext)
            {
                text = text.TrimStart();
            }
            if (open < 0)
            {
                AddText(tokens, text);
                break;
            }
            // Go's trim markers: "{{- " and " -}}", the space required so "{{-3}}" stays a number.
            bool trimBefore = open + 3 < template.Length && template[open + 2] == '-' && char.IsWhiteSpace(template[open + 3]);
            int bodyStart = open + (trimBefore ? 3 : 2);
            int close = FindClose(template, bodyStart, open);
            bool trimAfter = close - 2 >= bodyStart && template[close - 1] == '-' && char.IsWhiteSpace(template[close - 2]);
            AddText(tokens, trimBefore ? text.TrimEnd() : text);
            tokens.Add(new Token(true, template[bodyStart..(trimAfter ? close - 1 : close)].Trim(), open));
            trimNext = trimAfter;
            at = close + 2;
        }
        return tokens;
    }

    private static void AddText(List<Token> tokens, string text)
    {
        if (text.Length > 0)
        {
            tokens.Add(new Token(false, text, 0));
        }
    }

    /// <summary>The <c>}}</c> that ends the action, skipping quoted strings and comments (which may hold <c>}}</c>).</summary>
    private static int FindClose(string template, int from, int open)
    {
        int at = from;
        while (at < template.Length - 1)
        {
            char c = template[at];
            if (c == '"')
            {
                at++;
                while (at < template.Length && template[at] != '"')
                {
                    at += template[at] == '\\' ? 2 : 1;
                }
                if (at >= template.Length)
                {
                    throw Error($"unterminated string in the action at character {open + 1}");
                }
            }
            else if (c == '/' && template[at + 1] == '*')
            {
                int end = template.IndexOf("*/", at + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw Error($"unterminated comment in the action at character {open + 1}");
                }
                at = end + 1;
            }
            else if (c == '}' && template[at + 1] == '}')
            {
                return at;
            }
            at++;
        }
        throw Error($"the action at character {open + 1} has no closing }}}}");
    }

    private sealed class Parser(List<Token> tokens)
    {
        private int _at;

        /// <summary>Nodes up to the end of the template or an <c>{{else}}</c> or <c>{{end}}</c>, which is returned in <paramref name="terminator"/>.</summary>
        public List<Node> Block(int depth, out Token? terminator)
        {
            if (depth > MaxDepth)
            {
                throw Error($"more than {MaxDepth} nested {{{{range}}}} and {{{{if}}}}");
            }
            var nodes = new List<Node>();
            while (_at < tokens.Count)
            {
                Token token = tokens[_at++];
                if (!token.IsAction)
                {
                    nodes.Add(new TextNode(token.Text));
                    continue;
                }
                if (token.Text.StartsWith("/*", StringComparison.Ordinal))
                {
                    if (!token.Text.EndsWith("*/", StringComparison.Ordinal))
                    {
                        throw Error($"the comment at character {token.Position + 1} must be the whole action: {{{{/* ... */}}}}");
                    }
                    continue;
                }
                string keyword = token.Keyword;
                string rest = token.Text[keyword.Length..].Trim();
                switch (keyword)
                {
                    case "end" or "else":
                        if (rest.Length > 0)
                        {
                            throw Error($"{{{{{keyword} {rest}}}}} at character {token.Position + 1}: only a bare {{{{{keyword}}}}} is supported" +
                                (keyword == "else" ? " (nest an {{if}} inside the {{else}})" : ""));
                        }
                        terminator = token;
                        return nodes;
                    case "range" or "if":
                        nodes.Add(Branch(keyword, rest, token, depth));
                        break;
                    default:
                        nodes.Add(new PrintNode(Parse(token.Text, token.Position)));
                        break;
                }
            }
            terminator = null;
            return nodes;
        }

        private Node Branch(string keyword, string rest, Token token, int depth)
        {
            if (rest.Length == 0)
            {
                throw Error($"{{{{{keyword}}}}} at character {token.Position + 1} needs a value, e.g. {{{{{keyword} .Router.Connections}}}}");
            }
            Expression expression = Parse(rest, token.Position);
            List<Node> body = Block(depth + 1, out Token? end);
            List<Node> otherwise = [];
            if (end is { Keyword: "else" })
            {
                otherwise = Block(depth + 1, out end);
                if (end is { Keyword: "else" })
                {
                    throw Error($"a second {{{{else}}}} at character {end.Position + 1}");
                }
            }
            if (end is null)
            {
                throw Error($"{{{{{keyword}}}}} at character {token.Position + 1} has no {{{{end}}}}");
            }
            return keyword == "range" ? new RangeNode(expression, body, otherwise, token.Position) : new IfNode(expression, body, otherwise);
        }
    }

    /// <summary>An action's value: a quoted string, <c>len X</c> or <c>json X</c>, or a field path.</summary>
    private static Expression Parse(string text, int position)
    {
        if (text.Length == 0)
        {
            throw Error($"empty action at character {position + 1}");
        }
        if (text[0] == '"')
        {
            return new Literal(Unquote(text, position), position);
        }
        string[] words = text.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        if (words[0][0] is not ('.' or '$'))
        {
            if (!s_functions.Contains(words[0], StringComparer.Ordinal))
            {
                throw Error($"unknown function '{Shown(words[0])}' at character {position + 1} (there are {string.Join(" and ", s_functions)})");
            }
            if (words.Length != 2)
            {
                throw Error($"{words[0]} at character {position + 1} takes one value, e.g. {{{{{words[0]} .Router.Connections}}}}");
            }
            return new Call(words[0], Path(words[1], position), position);
        }
        if (words.Length > 1)
        {
            throw Error($"unexpected '{Shown(words[1])}' after {words[0]} at character {position + 1} (pipes and arguments are not supported)");
        }
        return Path(words[0], position);
    }

    private static FieldPath Path(string word, int position)
    {
        bool fromRoot = word.StartsWith('$');
        string fields = fromRoot ? word[1..] : word;
        if (fields.Length == 0 || fields == ".")
        {
            return new FieldPath(fromRoot, [], position);
        }
        string[] names = fields.Split('.');
        if (names[0].Length != 0 || names.Skip(1).Any(n => n.Length == 0 || !(char.IsAsciiLetter(n[0]) || n[0] == '_') || !n.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')))
        {
            throw Error($"'{Shown(word)}' at character {position + 1} is not a field path like .Router.Name or $.IPAM.Range");
        }
        return new FieldPath(fromRoot, names[1..], position);
    }

    /// <summary>A Go double-quoted string with the escapes a format needs: \n \t \r \" \\.</summary>
    private static string Unquote(string text, int position)
    {
        var value = new StringBuilder();
        int at = 1;
        while (at < text.Length && text[at] != '"')
        {
            if (text[at] == '\\' && at + 1 < text.Length)
            {
                value.Append(text[at + 1] switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '"' => '"',
                    '\\' => '\\',
                    char other => throw Error($"unknown escape \\{other} in the string at character {position + 1} (\\n \\t \\r \\\" \\\\ are known)"),
                });
                at += 2;
                continue;
            }
            value.Append(text[at++]);
        }
        if (at != text.Length - 1)
        {
            throw Error($"the action at character {position + 1} must be the string alone");
        }
        return value.ToString();
    }

    /// <summary>Echoed input stays short and on one line.</summary>
    private static string Shown(string text) => CommandLine.OneLine(text.Length <= 40 ? text : text[..40] + "...");
}

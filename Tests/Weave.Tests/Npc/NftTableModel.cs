using System.Text;
using System.Text.RegularExpressions;
using Weave.Npc.Enforcement;

namespace Weave.Tests.Npc;

/// <summary>
/// Table <c>inet weave-npc</c> as a set of objects (sets with their text, counters, chains with
/// their rules, verdict map elements), changed by interpreting the statements that
/// <see cref="NftRuleset"/> and <see cref="NftChanges"/> write, one after another as nft's
/// transaction does. It is stricter than nft: adding an object that exists, deleting one that
/// does not or that something still refers to, and referring to one that does not exist, all
/// throw. Each counter gets a serial number when it is created, so a test can tell a counter
/// that was kept from one deleted and added again.
/// </summary>
internal sealed partial class NftTableModel
{
    private const string TableRef = "inet weave-npc";

    private readonly SortedDictionary<string, string> _sets = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, List<string>> _chains = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, SortedDictionary<string, string>> _maps = new(StringComparer.Ordinal);
    private int _serial;

    public static NftTableModel Of(string script)
    {
        var model = new NftTableModel();
        model.Apply(script);
        return model;
    }

    public int CounterSerial(string name) => _counters[name];

    public void Apply(string script)
    {
        string[] lines = script.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || line == $"add table {TableRef}")
            {
                continue;
            }
            if (line == $"delete table {TableRef}")
            {
                _sets.Clear();
                _counters.Clear();
                _chains.Clear();
                _maps.Clear();
            }
            else if (line == $"table {TableRef} {{")
            {
                i = ApplyBlock(lines, i + 1);
            }
            else if (Statement().Match(line) is { Success: true } m)
            {
                ApplyStatement(m.Groups["verb"].Value, m.Groups["kind"].Value, m.Groups["name"].Value, m.Groups["elements"].Value, line);
            }
            else
            {
                throw new InvalidOperationException($"unknown statement: {line}");
            }
        }
    }

    /// <summary>Every object, one per line (a chain's rules indented below it), in name order.</summary>
    public string Describe()
    {
        var s = new StringBuilder();
        foreach ((string name, string body) in _sets)
        {
            s.Append("set ").Append(name).Append(": ").Append(body).Append('\n');
        }
        foreach (string name in _counters.Keys)
        {
            s.Append("counter ").Append(name).Append('\n');
        }
        foreach ((string name, List<string> rules) in _chains)
        {
            s.Append("chain ").Append(name).Append('\n');
            foreach (string rule in rules)
            {
                s.Append("  ").Append(rule).Append('\n');
            }
        }
        foreach ((string name, SortedDictionary<string, string> elements) in _maps)
        {
            s.Append("map ").Append(name).Append(": ").AppendJoin(", ", elements.Select(e => $"{e.Key} : {e.Value}")).Append('\n');
        }
        return s.ToString();
    }

    private int ApplyBlock(string[] lines, int i)
    {
        for (; lines[i] != "}"; i++)
        {
            string line = lines[i].Trim();
            if (line.StartsWith("comment ", StringComparison.Ordinal))
            {
                continue;
            }
            Match head = BlockHead().Match(line);
            Check(head.Success, $"unknown line in the table block: {line}");
            string kind = head.Groups["kind"].Value, name = head.Groups["name"].Value;
            var body = new List<string>();
            for (i++; lines[i].Trim() != "}"; i++)
            {
                body.Add(lines[i].Trim());
            }
            switch (kind)
            {
                case "set":
                    Check(_sets.TryAdd(name, string.Join(" ", body)), $"set {name} added twice");
                    break;
                case "counter":
                    Check(_counters.TryAdd(name, ++_serial), $"counter {name} added twice");
                    break;
                case "map":
                    Check(!_maps.ContainsKey(name), $"map {name} added twice");
                    _maps[name] = new SortedDictionary<string, string>(StringComparer.Ordinal);
                    string all = string.Join(" ", body);
                    int open = all.IndexOf("elements = {", StringComparison.Ordinal);
                    if (open >= 0)
                    {
                        AddElements(name, all[(open + "elements = {".Length)..all.LastIndexOf('}')]);
                    }
                    break;
                default:
                    if (!_chains.TryGetValue(name, out List<string>? rules))
                    {
                        _chains[name] = rules = [];
                    }
                    foreach (string rule in body)
                    {
                        CheckReferencesExist(rule);
                        rules.Add(rule);
                    }
                    break;
            }
        }
        return i;
    }

    private void ApplyStatement(string verb, string kind, string name, string elements, string line)
    {
        switch ((verb, kind))
        {
            case ("flush", "chain"):
                Check(_chains.TryGetValue(name, out List<string>? rules), $"no chain to flush: {line}");
                rules!.Clear();
                break;
            case ("delete", "chain"):
                Check(_chains.TryGetValue(name, out List<string>? gone) && gone.Count == 0, $"no empty chain to delete: {line}");
                Check(!_maps.Values.Any(m => m.ContainsValue("jump " + name)), $"chain still in a map: {line}");
                _chains.Remove(name);
                break;
            case ("delete", "counter"):
                Check(!_chains.Values.SelectMany(r => r).Any(r => References(r).Contains(name)), $"counter still used: {line}");
                Check(_counters.Remove(name), $"no counter to delete: {line}");
                break;
            case ("delete", "set"):
                Check(!_chains.Values.SelectMany(r => r).Any(r => References(r).Contains(name)), $"set still used: {line}");
                Check(_sets.Remove(name), $"no set to delete: {line}");
                break;
            case ("delete", "element"):
                foreach (string key in elements.Split(',', StringSplitOptions.TrimEntries))
                {
                    Check(_maps[name].Remove(key), $"no element {key}: {line}");
                }
                break;
            case ("add", "element"):
                AddElements(name, elements);
                break;
            default:
                throw new InvalidOperationException($"unknown statement: {line}");
        }
    }

    private void AddElements(string map, string elements)
    {
        foreach (string element in elements.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] parts = element.Split(" : ");
            Check(parts.Length == 2 && parts[1].StartsWith("jump ", StringComparison.Ordinal), $"bad element {element}");
            Check(_chains.ContainsKey(parts[1]["jump ".Length..]), $"element {element} jumps to no chain");
            Check(_maps[map].TryAdd(parts[0], parts[1]), $"element {element} added twice");
        }
    }

    private void CheckReferencesExist(string rule)
    {
        foreach (string name in References(rule))
        {
            Check(_sets.ContainsKey(name) || _maps.ContainsKey(name) || _counters.ContainsKey(name), $"rule refers to nothing: {name} in {rule}");
        }
    }

    /// <summary>The sets, maps and counters a rule names, outside its quoted comment.</summary>
    private static HashSet<string> References(string rule)
    {
        string code = Quoted().Replace(rule, "");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Reference().Matches(code))
        {
            names.Add(m.Groups["name"].Value);
        }
        return names;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }

    [GeneratedRegex("^(?<verb>flush|delete|add) (?<kind>chain|counter|set|element) inet weave-npc (?<name>[^ ]+)( \\{ (?<elements>.*) \\})?$")]
    private static partial Regex Statement();

    [GeneratedRegex("^(?<kind>set|counter|map|chain) (?<name>[^ ]+) \\{$")]
    private static partial Regex BlockHead();

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex Quoted();

    [GeneratedRegex("(@|counter name )(?<name>[A-Za-z0-9_.-]+)")]
    private static partial Regex Reference();
}

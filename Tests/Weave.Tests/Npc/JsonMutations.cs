using System.Text;
using System.Text.Json.Nodes;

namespace Weave.Tests.Npc;

/// <summary>
/// Mutations of a valid object's JSON: byte-level (flip, cut, delete, insert, truncate) for the
/// reader, and value-level (a node replaced by a value of another type, or removed) for the
/// deserializer and the checks, which byte-level changes mostly stop short of.
/// </summary>
internal static class JsonMutations
{
    private static readonly string[] s_values =
        ["null", "0", "-1", "65536", "1e400", "70000", "\"\"", "\"TCP\"", "\"In\"", "\"x--y\"", "\"10.0.0.0/33\"", "\"::/0\"", "[]", "[null]", "{}", "{\"a\":1}", "true", "\"😀\"", "\"\\u0000\""];

    public static byte[] Mutate(byte[] json, Random random, out string what)
    {
        byte[] bytes = (byte[])json.Clone();
        switch (random.Next(7))
        {
            case 0:
                int at = random.Next(bytes.Length);
                bytes[at] ^= (byte)random.Next(1, 256);
                what = $"byte {at} flipped";
                return bytes;
            case 1:
                int cut = random.Next(bytes.Length);
                what = $"truncated at {cut}";
                return bytes[..cut];
            case 2:
                int from = random.Next(bytes.Length);
                int length = random.Next(1, Math.Min(16, bytes.Length - from) + 1);
                what = $"{length} bytes deleted at {from}";
                return [.. bytes[..from], .. bytes[(from + length)..]];
            case 3:
                int into = random.Next(bytes.Length);
                byte[] insert = Encoding.UTF8.GetBytes(s_values[random.Next(s_values.Length)]);
                what = $"{Encoding.UTF8.GetString(insert)} inserted at {into}";
                return [.. bytes[..into], .. insert, .. bytes[into..]];
            default:
                return ReplaceNode(json, random, out what);
        }
    }

    private static byte[] ReplaceNode(byte[] json, Random random, out string what)
    {
        JsonNode root = JsonNode.Parse(json)!;
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        JsonNode target = nodes[random.Next(nodes.Count)];
        string replacement = s_values[random.Next(s_values.Length)];
        what = $"{target.GetPath()} replaced by {replacement}";
        JsonNode? value = JsonNode.Parse(replacement);
        switch (target.Parent)
        {
            case JsonObject parent when random.Next(4) == 0:
                parent.Remove(target.GetPropertyName());
                what = $"{target.GetPath()} removed";
                break;
            case JsonObject parent:
                parent[target.GetPropertyName()] = value;
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = value;
                break;
            default:
                return Encoding.UTF8.GetBytes(replacement);
        }
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static void Collect(JsonNode? node, List<JsonNode> nodes)
    {
        if (node is null)
        {
            return;
        }
        nodes.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (KeyValuePair<string, JsonNode?> property in o)
                {
                    Collect(property.Value, nodes);
                }
                break;
            case JsonArray a:
                foreach (JsonNode? item in a)
                {
                    Collect(item, nodes);
                }
                break;
        }
    }
}

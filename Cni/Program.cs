using System.Collections;
using System.Diagnostics;
using Weave.Cni;
using Weave.Cni.Spec;

// weave-net: the CNI plugin. The container runtime runs it with CNI_COMMAND and friends in the
// environment and the network configuration on stdin; the answer is JSON on stdout.
CniTrace.StartIfRequested(Stopwatch.GetTimestamp());
var variables = new Dictionary<string, string>(StringComparer.Ordinal);
foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
{
    if (entry.Key is string key && key.StartsWith("CNI_", StringComparison.Ordinal) && entry.Value is string value)
    {
        variables[key] = value;
    }
}

byte[] stdin;
using (Stream input = Console.OpenStandardInput())
using (var buffer = new MemoryStream())
{
    byte[] chunk = new byte[16 * 1024];
    int read;
    while ((read = input.Read(chunk)) > 0 && buffer.Length <= NetworkConfigParser.MaxConfigBytes)
    {
        buffer.Write(chunk, 0, read);
    }
    stdin = buffer.ToArray();
}

CniTrace.Mark("input read");

int exitCode;
using (var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false })
{
    exitCode = Plugin.Run(variables, stdin, stdout, Console.Error);
}
CniTrace.Mark("answer written");
CniTrace.WriteTo(Console.Error);
return exitCode;

using System.ComponentModel;
using System.Diagnostics;

namespace Weave.Linux.Nftables;

/// <summary>
/// <see cref="INftables"/> by running <c>nft</c> (Debian's nftables package), as kube-proxy's
/// nftables mode does: a script on its standard input is one netlink transaction, nft's own
/// language is the documented interface, and its errors are readable. Speaking nf_tables' netlink
/// protocol directly would mean hand-encoding its expression bytecode.
/// </summary>
public sealed class NftCommand : INftables
{
    private static readonly string[] s_candidates = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", "/bin/nft"];
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    private readonly string _path;

    private NftCommand(string path) => _path = path;

    /// <summary>nft from the usual places; false when it is not installed.</summary>
    public static bool TryFind(out NftCommand? nft)
    {
        string? path = s_candidates.FirstOrDefault(File.Exists);
        nft = path is null ? null : new NftCommand(path);
        return nft is not null;
    }

    public void Apply(string script)
    {
        (int exit, _, string stderr) = Run(["-f", "-"], script);
        if (exit != 0)
        {
            throw new NftablesException($"nft refused the ruleset: {OneLine(stderr)}");
        }
    }

    public string? List(string what, bool withHandles = false)
    {
        ArgumentNullException.ThrowIfNull(what);
        string[] args = [.. withHandles ? ["-a"] : Array.Empty<string>(), "list", .. what.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        (int exit, string stdout, string stderr) = Run(args, null);
        if (exit == 0)
        {
            return stdout;
        }
        if (stderr.Contains("No such file or directory", StringComparison.Ordinal))
        {
            return null;
        }
        throw new NftablesException($"nft list {what}: {OneLine(stderr)}");
    }

    private (int Exit, string Stdout, string Stderr) Run(string[] args, string? stdin)
    {
        var start = new ProcessStartInfo(_path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new NftablesException($"cannot run {_path}");
        }
        catch (Win32Exception e)
        {
            throw new NftablesException($"cannot run {_path}: {e.Message}", e);
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            try
            {
                if (stdin is not null)
                {
                    process.StandardInput.Write(stdin);
                }
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // nft exited before reading everything: its stderr says why.
            }
            if (!process.WaitForExit(s_timeout))
            {
                process.Kill();
                throw new NftablesException($"{_path} did not finish within {s_timeout.TotalSeconds:0} s");
            }
            return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }

    private static string OneLine(string text) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(6));
}

namespace Weave.Lab;

/// <summary>The repository the tests run from: found by walking up from the test binaries to <c>Weave.sln</c>.</summary>
public static class Repo
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The directory holding <c>Weave.sln</c>.</summary>
    public static string Root => s_root.Value;

    /// <summary>The published router, <c>out/weave</c>, as <c>./build.sh</c> leaves it.</summary>
    public static string WeaveBinary => Path.Combine(Root, "out", "weave");

    /// <summary>The router binary, or a clear error telling how to get it.</summary>
    public static string RequireWeaveBinary()
    {
        string path = WeaveBinary;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist: run ./build.sh first", path);
        }
        return path;
    }

    /// <summary>The published CNI plugin, <c>out/weave-net</c>.</summary>
    public static string CniBinary => Path.Combine(Root, "out", "weave-net");

    public static string RequireCniBinary()
    {
        string path = CniBinary;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist: run ./build.sh first", path);
        }
        return path;
    }

    private static string FindRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Weave.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new DirectoryNotFoundException($"no Weave.sln above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}");
    }
}

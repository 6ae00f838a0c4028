using System.Text;

namespace Weave.Linux;

/// <summary>Rules for Linux interface names (<c>dev_valid_name</c> in net/core/dev.c): 1 to 15
/// bytes, not "." or "..", no '/', ':' or whitespace.</summary>
public static class InterfaceName
{
    /// <summary>IFNAMSIZ: the kernel's name buffer, including the terminating NUL.</summary>
    public const int IFNAMSIZ = 16;

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == "." || name == "..")
        {
            return false;
        }
        if (Encoding.UTF8.GetByteCount(name) >= IFNAMSIZ)
        {
            return false;
        }
        foreach (char c in name)
        {
            if (c == '/' || c == ':' || c == '\0' || char.IsWhiteSpace(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the parameter when the name is invalid.</summary>
    public static void Validate(string name, string paramName)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid interface name (1 to {IFNAMSIZ - 1} bytes, no '/', ':' or whitespace)", paramName);
        }
    }
}

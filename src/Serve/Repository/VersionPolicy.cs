using Edge.Core;

namespace Edge.Serve.Repository;

public enum VersionPolicyKind { Latest, Specific, All }

/// <summary>Which versions of each model are served (Triton's version_policy): the newest N, a fixed list, or all.</summary>
public sealed record VersionPolicy(VersionPolicyKind Kind, int Count = 1, IReadOnlyList<long>? Versions = null)
{
    public static VersionPolicy Latest(int count) => count >= 1
        ? new(VersionPolicyKind.Latest, count)
        : throw new EdgeException($"version policy latest:{count} needs at least 1 version");

    public static VersionPolicy Specific(params long[] versions) => versions.Length > 0
        ? new(VersionPolicyKind.Specific, versions.Length, versions.Distinct().Order().ToArray())
        : throw new EdgeException("version policy specific: needs at least one version number");

    public static VersionPolicy All { get; } = new(VersionPolicyKind.All);

    /// <summary>The versions to serve out of those present on disk.</summary>
    public IReadOnlyList<long> Select(IEnumerable<long> available)
    {
        var sorted = available.Distinct().Order().ToArray();
        return Kind switch
        {
            VersionPolicyKind.Latest => sorted.TakeLast(Count).ToArray(),
            VersionPolicyKind.Specific => sorted.Where(v => Versions!.Contains(v)).ToArray(),
            _ => sorted,
        };
    }

    /// <summary>Parses <c>latest</c>, <c>latest:N</c>, <c>all</c> or <c>specific:1,3</c>.</summary>
    public static VersionPolicy Parse(string text)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "all")
            return All;
        if (t == "latest")
            return Latest(1);
        if (t.StartsWith("latest:", StringComparison.Ordinal) && int.TryParse(t[7..], out int n))
            return Latest(n);
        if (t.StartsWith("specific:", StringComparison.Ordinal))
        {
            var parts = t[9..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var versions = new List<long>();
            foreach (var p in parts)
                versions.Add(long.TryParse(p, out long v) && v > 0 ? v : throw new EdgeException($"version policy '{text}': '{p}' is not a positive version number"));
            return Specific([.. versions]);
        }
        throw new EdgeException($"unknown version policy '{text}': use latest, latest:N, all or specific:1,3");
    }

    public override string ToString() => Kind switch
    {
        VersionPolicyKind.Latest => $"latest:{Count}",
        VersionPolicyKind.Specific => $"specific:{string.Join(',', Versions!)}",
        _ => "all",
    };
}

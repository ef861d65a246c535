using System.Globalization;
using Edge.Core;

namespace Edge.Bench.Serve;

/// <summary><c>--name value</c> pairs; every option has a default, unknown names fail.</summary>
public sealed class Args(Dictionary<string, string> values)
{
    private static readonly string[] Known = ["clients", "requests", "seconds", "max-batch", "delay-ms", "threads", "model", "scenario", "json", "mixed-requests", "mixed-seconds", "spin", "channels", "warmup", "baseline-spin", "rounds", "server-threads"];

    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new EdgeException($"expected --name value pairs, got '{args[i]}'");
            string name = args[i][2..];
            if (!Known.Contains(name))
                throw new EdgeException($"unknown option --{name}; known: {string.Join(", ", Known.Select(k => "--" + k))}");
            values[name] = args[++i];
        }
        return new Args(values);
    }

    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public double Num(string name, double fallback) => values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
    public string Str(string name, string fallback) => values.GetValueOrDefault(name, fallback);
    public string? StrOrNull(string name) => values.GetValueOrDefault(name);

    public bool OnOff(string name, bool fallback) => values.TryGetValue(name, out var v)
        ? v switch { "on" => true, "off" => false, _ => throw new EdgeException($"--{name} takes on or off, got '{v}'") }
        : fallback;
}

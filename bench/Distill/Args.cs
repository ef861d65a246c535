using System.Globalization;
using Edge.Core;

namespace Edge.Bench.Distill;

/// <summary><c>--name value</c> pairs after the mode, each read once by name; unknown names fail with the known ones.</summary>
public sealed class Args
{
    private readonly Dictionary<string, string> _values = [];
    private readonly HashSet<string> _read = [];

    public Args(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= list.Count)
                throw new EdgeException($"expected '--name value' pairs, got '{list[i]}'");
            _values[list[i]] = list[++i];
        }
    }

    public string Text(string name, string fallback) { _read.Add(name); return _values.GetValueOrDefault(name, fallback); }

    public string? Optional(string name) { _read.Add(name); return _values.GetValueOrDefault(name); }

    public int Int(string name, int fallback) =>
        Optional(name) is { } v ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) ? i : throw new EdgeException($"{name} wants a whole number, got '{v}'") : fallback;

    public double Double(string name, double fallback) =>
        Optional(name) is { } v ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : throw new EdgeException($"{name} wants a number, got '{v}'") : fallback;

    /// <summary>Fails on any option no mode read: a typo never silently falls back to a default.</summary>
    public void RequireAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToArray();
        if (unknown.Length > 0) throw new EdgeException($"unknown option(s) {string.Join(", ", unknown)}; this mode reads {string.Join(", ", _read.Order())}");
    }
}

using System.CommandLine;
using Edge.Core;

namespace Edge.Cli;

/// <summary>A named set of values for an option (kebab-case on the command line, typed in code).</summary>
internal sealed class Choices<T>(IReadOnlyDictionary<string, T> values)
{
    public IEnumerable<string> Names => values.Keys;

    public Option<string> Option(string name, string description, string defaultName)
    {
        var option = new Option<string>(name) { Description = $"{description} ({string.Join(" | ", values.Keys)})", DefaultValueFactory = _ => defaultName };
        option.AcceptOnlyFromAmong([.. values.Keys]);
        return option;
    }

    public T Parse(string name) =>
        values.TryGetValue(name, out var v) ? v : throw new EdgeException($"unknown value '{name}': use one of {string.Join(", ", values.Keys)}");
}

namespace Edge.Cli.Commands;

/// <summary>Every verb of the <c>edge</c> command, built explicitly at start-up (no reflection scanning).</summary>
public static class CommandRegistry
{
    public static IReadOnlyList<ICliCommand> Create() =>
    [
        new ExportCommand(),
        new QuantizeCommand(),
        new InspectCommand(),
    ];
}

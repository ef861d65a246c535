namespace Edge.Cli.Commands;

/// <summary>Every verb of the <c>edge</c> command, built explicitly at start-up (no reflection scanning), in pipeline order.</summary>
public static class CommandRegistry
{
    public static IReadOnlyList<ICliCommand> Create() =>
    [
        new QuickstartCommand(),
        new ImportCommand(),
        new DistillCommand(),
        new ExportCommand(),
        new QuantizeCommand(),
        new GateCommand(),
        new ServeCommand(),
        new InspectCommand(),
        new DoctorCommand(),
    ];
}

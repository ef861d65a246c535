using System.CommandLine;

namespace Edge.Cli.Commands;

/// <summary>
/// One verb of the <c>edge</c> command, in its own file. Verbs are listed in <see cref="CommandRegistry"/>.
/// An action throws <see cref="Edge.Core.EdgeException"/> for bad input: Program prints its message as one
/// line and exits 2. Return 0 on success, 1 for a failed check (gate regression, parity failure).
/// </summary>
public interface ICliCommand
{
    Command Build();
}

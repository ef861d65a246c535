namespace Edge.Core;

/// <summary>
/// A problem with the user's input (a missing file, a mismatched shape, a corrupt dataset, an unknown option).
/// The CLI prints <see cref="Exception.Message"/> as one line and exits with code 2 — no stack trace — so the
/// message must name the problem and, where there is one, the fix.
/// </summary>
public class EdgeException : Exception
{
    public EdgeException(string message) : base(message) { }
    public EdgeException(string message, Exception inner) : base(message, inner) { }
}

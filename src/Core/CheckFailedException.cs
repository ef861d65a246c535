namespace Edge.Core;

/// <summary>
/// A check ran and the artifact failed it (export parity off, a quantization accuracy budget missed). Unlike
/// <see cref="EdgeException"/> (bad input, exit 2), the CLI exits 1 for this: the input was fine, the result is not.
/// </summary>
public class CheckFailedException(string message) : Exception(message);

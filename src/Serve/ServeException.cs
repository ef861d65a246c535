using Edge.Core;
using Grpc.Core;

namespace Edge.Serve;

/// <summary>
/// A request the server refuses, with the gRPC status it maps to (see <see cref="Interceptors.ErrorInterceptor"/>).
/// Any other <see cref="EdgeException"/> (an undecodable image, a bad preprocess input) maps to INVALID_ARGUMENT.
/// </summary>
public sealed class ServeException(StatusCode code, string message) : EdgeException(message)
{
    public StatusCode Code { get; } = code;

    public static ServeException Invalid(string message) => new(StatusCode.InvalidArgument, message);
    public static ServeException NotFound(string message) => new(StatusCode.NotFound, message);
    public static ServeException Unavailable(string message) => new(StatusCode.Unavailable, message);
    public static ServeException Exhausted(string message) => new(StatusCode.ResourceExhausted, message);
    public static ServeException Internal(string message) => new(StatusCode.Internal, message);
    public static ServeException Unimplemented(string message) => new(StatusCode.Unimplemented, message);
}

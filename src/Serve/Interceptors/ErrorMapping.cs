using Edge.Core;
using Grpc.Core;

namespace Edge.Serve.Interceptors;

/// <summary>
/// The one mapping from exceptions to statuses, used by the gRPC interceptor, the REST endpoints and the streams:
/// <see cref="ServeException"/> carries its code; any other <see cref="EdgeException"/> (undecodable or truncated
/// image, wrong shape) is INVALID_ARGUMENT; an <see cref="RpcException"/> keeps its status. HTTP statuses follow
/// the gRPC code (<see cref="HttpStatus"/>).
/// </summary>
public static class ErrorMapping
{
    /// <summary>Whether <paramref name="e"/> is the request's fault or choice (its message is safe to return).</summary>
    public static bool IsRequestError(Exception e) => e is EdgeException or RpcException;

    public static Status Map(Exception e) => e switch
    {
        RpcException r => r.Status,
        ServeException s => new Status(s.Code, s.Message),
        EdgeException x => new Status(StatusCode.InvalidArgument, x.Message),
        _ => new Status(StatusCode.Internal, $"internal error ({e.GetType().Name}); the server log has the details"),
    };

    public static int HttpStatus(StatusCode code) => code switch
    {
        StatusCode.OK => 200,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.AlreadyExists or StatusCode.Aborted => 409,
        StatusCode.ResourceExhausted => 429,
        StatusCode.Cancelled => 499,
        StatusCode.Unimplemented => 501,
        StatusCode.Unavailable => 503,
        StatusCode.DeadlineExceeded => 504,
        _ => 500,
    };
}

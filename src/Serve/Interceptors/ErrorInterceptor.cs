using Edge.Core;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Edge.Serve.Interceptors;

/// <summary>
/// Where exceptions become gRPC status codes (through <see cref="ErrorMapping"/>, which REST shares): <see cref="ServeException"/>
/// carries its code; any other <see cref="EdgeException"/> (undecodable or truncated image, wrong shape) is INVALID_ARGUMENT; a call cancelled
/// by its client or deadline is CANCELLED or DEADLINE_EXCEEDED; anything else is INTERNAL and logged, with no
/// internals in the message. The server keeps serving either way.
/// </summary>
public sealed partial class ErrorInterceptor(ILogger<ErrorInterceptor> log) : CallInterceptor
{
    protected override async Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (EdgeException e)
        {
            throw new RpcException(ErrorMapping.Map(e));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            bool late = context.Deadline != DateTime.MaxValue && context.Deadline <= DateTime.UtcNow;
            throw late
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, "the deadline passed before the model answered"))
                : new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
        }
        catch (Exception e)
        {
            LogUnexpected(e, context.Method);
            throw new RpcException(new Status(StatusCode.Internal, $"internal error ({e.GetType().Name}) in {context.Method}; the server log has the details"));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "unexpected error in {Method}")]
    private partial void LogUnexpected(Exception e, string method);
}

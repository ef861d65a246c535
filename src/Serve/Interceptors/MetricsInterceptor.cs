using System.Diagnostics;
using Edge.Serve.Metrics;
using Grpc.Core;

namespace Edge.Serve.Interceptors;

/// <summary>Counts every call by method and final status and records its latency (outermost interceptor).</summary>
public sealed class MetricsInterceptor(ServeMetrics metrics) : CallInterceptor
{
    protected override async Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        long start = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            status = e.StatusCode;
            throw;
        }
        catch (OperationCanceledException)
        {
            status = StatusCode.Cancelled;
            throw;
        }
        catch
        {
            status = StatusCode.Unknown;
            throw;
        }
        finally
        {
            string method = MethodName(context.Method);
            metrics.Requests.WithLabels(method, status.ToString()).Inc();
            metrics.RequestDuration.WithLabels(method).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>"/inference.GRPCInferenceService/ModelInfer" → "inference.GRPCInferenceService/ModelInfer".</summary>
    private static string MethodName(string method) => method.TrimStart('/');
}

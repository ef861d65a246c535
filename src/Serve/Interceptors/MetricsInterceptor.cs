using System.Collections.Concurrent;
using System.Diagnostics;
using Edge.Serve.Metrics;
using Grpc.Core;
using Prometheus;

namespace Edge.Serve.Interceptors;

/// <summary>Counts every call by method and final status and records its latency (outermost interceptor).</summary>
public sealed class MetricsInterceptor(ServeMetrics metrics) : CallInterceptor
{
    // Per-call label work (trimming the method name, formatting the status, the registry's label lookup) cost more
    // than the recording itself; the set of methods and statuses is small and fixed, so each child is found once.
    private readonly ConcurrentDictionary<string, Histogram.Child> _durations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Method, StatusCode Status), Counter.Child> _counts = new();

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
            string method = context.Method;
            _counts.GetOrAdd((method, status), static (key, m) => m.Requests.WithLabels(MethodName(key.Method), key.Status.ToString()), metrics).Inc();
            _durations.GetOrAdd(method, static (key, m) => m.RequestDuration.WithLabels(MethodName(key)), metrics)
                .Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>"/inference.GRPCInferenceService/ModelInfer" → "inference.GRPCInferenceService/ModelInfer".</summary>
    private static string MethodName(string method) => method.TrimStart('/');
}

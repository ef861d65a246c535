using System.Diagnostics;
using Edge.Core;
using Edge.Serve.Interceptors;
using Edge.Serve.Metrics;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Edge.Serve.Rest;

/// <summary>
/// What the gRPC interceptors do for gRPC, for every REST endpoint: the API key (health stays open), an inference
/// slot for infer and classify, the one exception mapping (<see cref="ErrorMapping"/>) into <c>{"error": "…"}</c> with
/// the HTTP status of its code, and the request counter and latency histogram by route and status.
/// </summary>
public sealed partial class RestFilter(ApiKeyCheck apiKey, InferenceSlots slots, ServeMetrics metrics, ILogger<RestFilter> log) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        string route = (http.GetEndpoint() as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value ?? "";
        string method = $"REST {http.Request.Method} {route}";
        long start = Stopwatch.GetTimestamp();
        object? result;
        try
        {
            bool open = route.StartsWith("/v2/health/", StringComparison.Ordinal);
            if (!open && apiKey.Refusal(http.Request.Headers[ApiKeyCheck.Header].FirstOrDefault(), http.Request.Headers.Authorization.FirstOrDefault()) is { } why)
                result = RestResults.Error(StatusCodes.Status401Unauthorized, why);
            else if (route.EndsWith("/infer", StringComparison.Ordinal) || route.EndsWith("/classify", StringComparison.Ordinal))
                result = await slots.RunAsync(async () => await next(context).ConfigureAwait(false), http.RequestAborted).ConfigureAwait(false);
            else
                result = await next(context).ConfigureAwait(false);
        }
        catch (RestException e)
        {
            result = RestResults.Error(e.Status, e.Message);
        }
        catch (Exception e) when (ErrorMapping.IsRequestError(e))
        {
            var status = ErrorMapping.Map(e);
            result = RestResults.Error(ErrorMapping.HttpStatus(status.StatusCode), status.Detail);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            result = RestResults.Error(499, "the client went away");
        }
        catch (Exception e)
        {
            LogUnexpected(e, method);
            result = RestResults.Error(StatusCodes.Status500InternalServerError, $"internal error ({e.GetType().Name}) in {method}; the server log has the details");
        }
        int code = result is IStatusCodeHttpResult { StatusCode: { } c } ? c : result is IResult ? 200 : http.Response.StatusCode;
        metrics.Requests.WithLabels(method, code.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        metrics.RequestDuration.WithLabels(method).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        return result;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "unexpected error in {Method}")]
    private partial void LogUnexpected(Exception e, string method);
}

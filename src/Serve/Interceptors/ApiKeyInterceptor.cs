using Grpc.Core;

namespace Edge.Serve.Interceptors;

/// <summary>
/// Optional API key on gRPC calls (<see cref="ApiKeyCheck"/>). Health, liveness and readiness stay open so probes work
/// without the secret.
/// </summary>
public sealed class ApiKeyInterceptor(ApiKeyCheck check) : CallInterceptor
{
    public const string Header = ApiKeyCheck.Header;

    private static readonly string[] Open =
    [
        "/grpc.health.v1.Health/",
        "/inference.GRPCInferenceService/ServerLive", "/inference.GRPCInferenceService/ServerReady",
    ];

    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        if (!check.Enabled || Open.Any(p => context.Method.StartsWith(p, StringComparison.Ordinal)))
            return call();
        if (check.Refusal(context.RequestHeaders.GetValue(Header), context.RequestHeaders.GetValue("authorization")) is { } why)
            throw new RpcException(new Status(StatusCode.Unauthenticated, why));
        return call();
    }
}

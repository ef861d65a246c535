using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace Edge.Serve.Interceptors;

/// <summary>
/// Optional API key: with <see cref="ServeOptions.ApiKey"/> set, a call needs metadata <c>x-api-key: KEY</c> or
/// <c>authorization: Bearer KEY</c> (REST: the same HTTP headers). Health, liveness and readiness stay open so
/// probes work without the secret.
/// </summary>
public sealed class ApiKeyInterceptor(ServeOptions options) : CallInterceptor
{
    public const string Header = "x-api-key";
    private readonly byte[]? _key = options.ApiKey is { Length: > 0 } k ? Encoding.UTF8.GetBytes(k) : null;

    private static readonly string[] Open =
    [
        "/grpc.health.v1.Health/",
        "/inference.GRPCInferenceService/ServerLive", "/inference.GRPCInferenceService/ServerReady",
        "/edge.serve.rest.InferenceRest/ServerLive", "/edge.serve.rest.InferenceRest/ServerReady",
    ];

    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        if (_key is null || Open.Any(p => context.Method.StartsWith(p, StringComparison.Ordinal)))
            return call();
        string? given = context.RequestHeaders.GetValue(Header);
        if (given is null && context.RequestHeaders.GetValue("authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            given = auth[7..].Trim();
        if (given is null)
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"this server needs an API key: send metadata '{Header}: KEY' or 'authorization: Bearer KEY'"));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _key))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the API key is not valid"));
        return call();
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Edge.Serve.Interceptors;

/// <summary>
/// The optional API key (<see cref="ServeOptions.ApiKey"/>), checked the same way for gRPC metadata and REST headers:
/// <c>x-api-key: KEY</c> or <c>authorization: Bearer KEY</c>, compared in constant time.
/// </summary>
public sealed class ApiKeyCheck(ServeOptions options)
{
    public const string Header = "x-api-key";
    private readonly byte[]? _key = options.ApiKey is { Length: > 0 } k ? Encoding.UTF8.GetBytes(k) : null;

    public bool Enabled => _key is not null;

    /// <summary>Null when the call may go on, else the reason it is UNAUTHENTICATED.</summary>
    public string? Refusal(string? apiKey, string? authorization)
    {
        if (_key is null)
            return null;
        string? given = apiKey;
        if (given is null && authorization is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            given = auth[7..].Trim();
        if (given is null)
            return $"this server needs an API key: send '{Header}: KEY' or 'authorization: Bearer KEY'";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _key) ? null : "the API key is not valid";
    }
}

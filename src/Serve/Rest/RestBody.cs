using System.IO.Compression;
using Edge.Serve.Tensors;
using Microsoft.AspNetCore.Http;

namespace Edge.Serve.Rest;

/// <summary>
/// A REST request body read whole into a pooled buffer (no Content-Type is needed: the endpoints know what they
/// take), decompressed when <c>Content-Encoding</c> is gzip or deflate (zlib, as HTTP means it and Triton's client
/// sends it). More than <see cref="ServeOptions.MaxMessageBytes"/>, compressed or not, is 413.
/// </summary>
public sealed class RestBody : IDisposable
{
    private readonly PooledBuffer _buffer;

    private RestBody(PooledBuffer buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => _buffer.Memory[..Length];

    public static async Task<RestBody> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        string? encoding = request.Headers.ContentEncoding.ToString().Trim().ToLowerInvariant() is { Length: > 0 } e ? e : null;
        Stream source = encoding switch
        {
            null or "identity" => request.Body,
            "gzip" => new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            "deflate" => new ZLibStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            _ => throw ServeException.Invalid($"Content-Encoding '{Text.Clip(encoding)}' is not supported; send gzip, deflate or none"),
        };
        try
        {
            long expected = encoding is null && request.ContentLength is { } n ? n : 64 * 1024;
            if (expected > limit)
                throw TooLarge(limit);
            var buffer = PooledBuffer.Rent(Math.Max(expected, 1024));
            int length = 0;
            try
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= limit)
                        {
                            // One byte more than the limit means the body is over it.
                            var probe = new byte[1];
                            if (await source.ReadAsync(probe, cancellationToken).ConfigureAwait(false) > 0)
                                throw TooLarge(limit);
                            break;
                        }
                        var bigger = PooledBuffer.Rent(Math.Min((long)buffer.Length * 2, limit));
                        buffer.Span.CopyTo(bigger.Span);
                        buffer.Dispose();
                        buffer = bigger;
                    }
                    int read = await source.ReadAsync(buffer.Memory[length..], cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                        break;
                    length += read;
                }
                return new RestBody(buffer, length);
            }
            catch (InvalidDataException ex)
            {
                buffer.Dispose();
                throw ServeException.Invalid($"the {encoding} request body does not decompress: {ex.Message}");
            }
            catch
            {
                buffer.Dispose();
                throw;
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit);
        }
        finally
        {
            if (source != request.Body)
                await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static RestException TooLarge(int limit) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than this server accepts ({limit >> 20} MiB, --max-message-mb)");

    public void Dispose() => _buffer.Dispose();
}

/// <summary>An HTTP-only refusal (413 has no gRPC status of its own).</summary>
public sealed class RestException(int status, string message) : Edge.Core.EdgeException(message)
{
    public int Status { get; } = status;
}

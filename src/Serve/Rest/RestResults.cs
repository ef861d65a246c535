using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Edge.Serve.Rest;

/// <summary>REST answers: JSON written straight to the response, errors as <c>{"error": "…"}</c> (KServe v2).</summary>
public static class RestResults
{
    /// <summary>UTF-8 text stays as it is (no \u escapes): the answers are JSON APIs, never embedded in HTML.</summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Json(Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK) => new JsonWriterResult(write, status);

    public static IResult Proto(IMessage message) => Json(w => ProtoJson.Write(w, message));

    public static IResult Error(int status, string message) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteString("error", message);
        w.WriteEndObject();
    }, status);

    /// <summary>An empty 200 (load, unload).</summary>
    public static IResult Ok() => Results.Ok();

    private sealed class JsonWriterResult(Action<Utf8JsonWriter> write, int status) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public async Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = status;
            http.Response.ContentType = "application/json";
            var buffer = new ArrayBufferWriter<byte>(1024);
            using (var w = new Utf8JsonWriter(buffer, WriterOptions))
                write(w);
            http.Response.ContentLength = buffer.WrittenCount;
            await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
        }
    }

    public static IResult Infer(ArrayBufferWriter<byte> body, int? headerLength) => new InferAnswer(body, headerLength);

    private sealed class InferAnswer(ArrayBufferWriter<byte> body, int? headerLength) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => 200;

        public Task ExecuteAsync(HttpContext http) => WriteInferAsync(http, body, headerLength);
    }

    /// <summary>
    /// An inference answer: JSON, or JSON followed by binary data (<c>application/octet-stream</c> with
    /// <c>Inference-Header-Content-Length</c>), compressed when the client asked with Accept-Encoding gzip or deflate.
    /// </summary>
    public static async Task WriteInferAsync(HttpContext http, ArrayBufferWriter<byte> body, int? headerLength)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = headerLength is null ? "application/json" : "application/octet-stream";
        if (headerLength is { } h)
            response.Headers[RestTensors.HeaderLengthHeader] = h.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string accept = http.Request.Headers.AcceptEncoding.ToString();
        string? encoding = accept.Contains("gzip", StringComparison.OrdinalIgnoreCase) ? "gzip" : accept.Contains("deflate", StringComparison.OrdinalIgnoreCase) ? "deflate" : null;
        if (encoding is null)
        {
            response.ContentLength = body.WrittenCount;
            await WriteChunkedAsync(response.Body, body.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
            return;
        }
        response.Headers.ContentEncoding = encoding;
        var compressed = new MemoryStream();
        await using (Stream z = encoding == "gzip" ? new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true) : new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            await z.WriteAsync(body.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
        response.ContentLength = compressed.Length;
        await WriteChunkedAsync(response.Body, compressed.GetBuffer().AsMemory(0, (int)compressed.Length), http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes in 64 KiB pieces, each sent before the next is copied: one large write would be copied whole into the
    /// server's block pool first, and the pool keeps blocks for minutes after.
    /// </summary>
    private static async Task WriteChunkedAsync(Stream body, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        const int Piece = 64 * 1024;
        for (int at = 0; at < data.Length; at += Piece)
        {
            await body.WriteAsync(data.Slice(at, Math.Min(Piece, data.Length - at)), cancellationToken).ConfigureAwait(false);
            await body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Edge.Serve.Inference;
using Edge.Protocol.V2;
using Google.Protobuf;

namespace Edge.Serve.Services;

/// <summary>Converts v2 protocol tensors to and from the engine's types, checking what the protocol leaves to servers.</summary>
public static class V2Tensors
{
    public static InferInput ReadInput(ModelInferRequest request)
    {
        if (request.Inputs.Count != 1)
            throw ServeException.Invalid($"expected exactly one input tensor, got {request.Inputs.Count}");
        var tensor = request.Inputs[0];
        bool raw = request.RawInputContents.Count > 0;
        if (raw && request.RawInputContents.Count != request.Inputs.Count)
            throw ServeException.Invalid($"raw_input_contents has {request.RawInputContents.Count} entries for {request.Inputs.Count} input(s); give one per input");
        if (raw && tensor.Contents is not null && HasTypedContents(tensor.Contents))
            throw ServeException.Invalid($"input '{tensor.Name}' sets both contents and raw_input_contents; use one");
        long[] shape = [.. tensor.Shape];
        if (shape.Any(d => d < 0))
            throw ServeException.Invalid($"input '{tensor.Name}' shape [{string.Join(", ", shape)}] has a negative dimension");

        switch (tensor.Datatype)
        {
            case "FP32":
            {
                float[] data;
                if (raw)
                {
                    var bytes = request.RawInputContents[0].Span;
                    if (bytes.Length % 4 != 0)
                        throw ServeException.Invalid($"raw contents of FP32 input '{tensor.Name}' are {bytes.Length} bytes, not a multiple of 4");
                    data = new float[bytes.Length / 4];
                    if (BitConverter.IsLittleEndian)
                        bytes.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
                    else
                        for (int i = 0; i < data.Length; i++)
                            data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(4 * i, 4));
                }
                else
                {
                    var c = tensor.Contents;
                    if (c is null || c.Fp32Contents.Count == 0)
                        throw ServeException.Invalid($"FP32 input '{tensor.Name}' carries no data: set contents.fp32_contents or raw_input_contents"
                            + (c is not null && HasTypedContents(c) ? " (the contents set are of another type)" : ""));
                    data = [.. c.Fp32Contents];
                }
                return new InferInput(tensor.Name, shape, data, null);
            }
            case "BYTES":
            {
                var images = new List<ReadOnlyMemory<byte>>();
                if (raw)
                {
                    // Raw BYTES: each element is a 4-byte little-endian length, then that many bytes.
                    var all = request.RawInputContents[0].Memory;
                    int at = 0;
                    while (at < all.Length)
                    {
                        if (all.Length - at < 4)
                            throw ServeException.Invalid($"raw BYTES input '{tensor.Name}' ends inside an element length prefix");
                        int n = BinaryPrimitives.ReadInt32LittleEndian(all.Span.Slice(at, 4));
                        if (n < 0 || n > all.Length - at - 4)
                            throw ServeException.Invalid($"raw BYTES input '{tensor.Name}' has element {images.Count} of {n} bytes, past the end of the data");
                        images.Add(all.Slice(at + 4, n));
                        at += 4 + n;
                    }
                }
                else
                {
                    foreach (var b in tensor.Contents?.BytesContents ?? [])
                        images.Add(b.Memory);
                }
                return new InferInput(tensor.Name, shape, null, images);
            }
            default:
                throw ServeException.Invalid($"input '{tensor.Name}' has datatype '{Clip(tensor.Datatype)}'; this server takes FP32 tensors (preprocessed) or BYTES (encoded images)");
        }
    }

    public static void CheckRequestedOutputs(ModelInferRequest request, string outputName)
    {
        foreach (var o in request.Outputs)
            if (o.Name != outputName)
                throw ServeException.Invalid($"model {request.ModelName} has one output, '{outputName}'; '{Clip(o.Name)}' was requested");
    }

    public static ModelInferResponse WriteOutput(InferOutput output, string id, bool raw)
    {
        var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = output.Name, Datatype = "FP32" };
        tensor.Shape.AddRange(output.Shape);
        var response = new ModelInferResponse { ModelName = output.Model, ModelVersion = output.Version, Id = id };
        if (raw)
            response.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(output.Logits.AsSpan()).ToArray()));
        else
        {
            tensor.Contents = new InferTensorContents();
            tensor.Contents.Fp32Contents.AddRange(output.Logits);
        }
        response.Outputs.Add(tensor);
        return response;
    }

    private static bool HasTypedContents(InferTensorContents c) =>
        c.BoolContents.Count + c.IntContents.Count + c.Int64Contents.Count + c.UintContents.Count + c.Uint64Contents.Count
        + c.Fp32Contents.Count + c.Fp64Contents.Count + c.BytesContents.Count > 0;

    private static string Clip(string s) => s.Length > 64 ? s[..64] + "…" : s;
}

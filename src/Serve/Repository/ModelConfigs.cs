using System.Globalization;
using Edge.Core;
using Edge.Core.Inference;
using Edge.Serve.Batching;
using Edge.Serve.Inference;
using Edge.Serve.Protocol.Triton;
using Edge.Serve.Tensors;

namespace Edge.Serve.Repository;

/// <summary>
/// The Triton model configuration a version is served with. Without a user configuration it is derived from the
/// ONNX file and the server's options (Triton's auto-complete for ONNX): every input and output with its datatype and
/// dims, <c>max_batch_size</c> = the server's maximum batch when every tensor has a dynamic first dimension (else 0),
/// dynamic batching with the server's queue delay. A user configuration (a load request's override) is checked
/// against the file, field by field, and what it leaves out is completed the same way; the scheduler, instance count
/// and version policy then follow it.
/// </summary>
public static class ModelConfigs
{
    public const string Platform = "onnxruntime_onnx";
    public const string Backend = "onnxruntime";

    public static ModelConfig Resolve(string model, TensorSession session, ClassifierInfo? classifier, string modelFile, ModelConfig? user, ServeOptions options)
    {
        var c = user?.Clone() ?? new ModelConfig();
        string source = user is null ? "" : $"config of model '{model}': ";
        if (c.Name.Length > 0 && c.Name != model)
            throw new EdgeException($"{source}name '{Text.Clip(c.Name)}' is not the model's name '{model}'");
        c.Name = model;
        if (c.Platform.Length > 0 && c.Platform != Platform)
            throw new EdgeException($"{source}platform '{Text.Clip(c.Platform)}' is not served here; Edge runs '{Platform}' models");
        if (c.Backend.Length > 0 && c.Backend != Backend)
            throw new EdgeException($"{source}backend '{Text.Clip(c.Backend)}' is not served here; Edge runs the '{Backend}' backend");
        c.Platform = Platform;
        c.Backend = Backend;
        if (c.DefaultModelFilename.Length == 0)
            c.DefaultModelFilename = modelFile;

        bool batchable = session.Inputs.All(i => i.HasBatchDim) && session.Outputs.All(o => o.HasBatchDim);
        if (user is null)
            c.MaxBatchSize = batchable ? options.Batching.MaxBatchSize : 0;
        else if (c.MaxBatchSize < 0)
            throw new EdgeException($"{source}max_batch_size must be 0 (no batch dimension) or more, got {c.MaxBatchSize}");
        else if (c.MaxBatchSize > 0 && !batchable)
            throw new EdgeException($"{source}max_batch_size {c.MaxBatchSize} needs every input and output to have a dynamic first dimension; "
                + string.Join(", ", session.Inputs.Concat(session.Outputs).Where(t => !t.HasBatchDim).Select(t => $"'{t.Name}' is {Text.Shape(t.Shape)}")));
        bool batched = c.MaxBatchSize > 0;

        CompleteInputs(c, session, classifier, batched, source);
        CompleteOutputs(c, session, classifier, batched, source);

        if (user is null && batched && options.Batching.MaxBatchSize > 1)
            c.DynamicBatching = new ModelDynamicBatching
            {
                MaxQueueDelayMicroseconds = (ulong)(options.Batching.MaxQueueDelay.TotalMilliseconds * 1000),
                DefaultQueuePolicy = new ModelQueuePolicy { MaxQueueSize = (uint)options.Batching.MaxQueueSize },
            };
        if (c.DynamicBatching is { } db)
        {
            if (!batched)
                throw new EdgeException($"{source}dynamic_batching needs max_batch_size > 0");
            if (db.PreferredBatchSize.Any(p => p < 1 || p > c.MaxBatchSize))
                throw new EdgeException($"{source}preferred_batch_size [{string.Join(", ", db.PreferredBatchSize)}] must lie in 1..max_batch_size ({c.MaxBatchSize})");
            if (db.MaxQueueDelayMicroseconds > 10_000_000)
                throw new EdgeException($"{source}max_queue_delay_microseconds {db.MaxQueueDelayMicroseconds} is over 10 s");
            if (db.PriorityLevels > 1)
                throw new EdgeException($"{source}priority_levels {db.PriorityLevels}: Edge schedules one priority level");
        }

        var kind = options.Device == InferenceDevice.Cuda && session.FallbackNote is null ? ModelInstanceGroup.Types.Kind.Gpu : ModelInstanceGroup.Types.Kind.Cpu;
        if (c.InstanceGroup.Count == 0)
            c.InstanceGroup.Add(new ModelInstanceGroup { Count = 1, Kind = kind });
        int i = 0;
        foreach (var g in c.InstanceGroup)
        {
            if (g.Count < 1)
                g.Count = 1;
            if (g.Kind == ModelInstanceGroup.Types.Kind.Auto)
                g.Kind = kind;
            if (g.Kind != kind)
                throw new EdgeException($"{source}instance_group kind {g.Kind} cannot run here: this server's models run on {(kind == ModelInstanceGroup.Types.Kind.Gpu ? "the GPU" : "the CPU")} (--device)");
            if (g.Name.Length == 0)
                g.Name = $"{model}_{i.ToString(CultureInfo.InvariantCulture)}";
            if (kind == ModelInstanceGroup.Types.Kind.Gpu && g.Gpus.Count == 0)
                g.Gpus.Add(0);
            i++;
        }
        c.VersionPolicy ??= ToProto(options.VersionPolicy);
        return c;
    }

    /// <summary>The scheduler settings the configuration asks for.</summary>
    public static BatchPolicy Policy(ModelConfig c, ServeOptions options) => new()
    {
        MaxBatchSize = c.MaxBatchSize,
        Merge = c.DynamicBatching is not null && c.MaxBatchSize > 1,
        MaxQueueDelay = TimeSpan.FromTicks((long)((c.DynamicBatching?.MaxQueueDelayMicroseconds ?? 0) * 10)),
        PreferredBatchSizes = [.. c.DynamicBatching?.PreferredBatchSize ?? []],
        MaxQueueSize = c.DynamicBatching?.DefaultQueuePolicy is { MaxQueueSize: > 0 } q ? (int)Math.Min(q.MaxQueueSize, int.MaxValue) : options.Batching.MaxQueueSize,
        Instances = c.InstanceGroup.Sum(g => g.Count),
    };

    public static VersionPolicy FromProto(ModelVersionPolicy p) => p.PolicyChoiceCase switch
    {
        ModelVersionPolicy.PolicyChoiceOneofCase.All => VersionPolicy.All,
        ModelVersionPolicy.PolicyChoiceOneofCase.Specific => VersionPolicy.Specific([.. p.Specific.Versions]),
        ModelVersionPolicy.PolicyChoiceOneofCase.Latest => VersionPolicy.Latest((int)Math.Max(1, p.Latest.NumVersions)),
        _ => VersionPolicy.Latest(1),
    };

    public static ModelVersionPolicy ToProto(VersionPolicy p) => p.Kind switch
    {
        VersionPolicyKind.All => new ModelVersionPolicy { All = new ModelVersionPolicy.Types.All() },
        VersionPolicyKind.Specific => new ModelVersionPolicy { Specific = new ModelVersionPolicy.Types.Specific { Versions = { p.Versions! } } },
        _ => new ModelVersionPolicy { Latest = new ModelVersionPolicy.Types.Latest { NumVersions = (uint)p.Count } },
    };

    private static void CompleteInputs(ModelConfig c, TensorSession session, ClassifierInfo? classifier, bool batched, string source)
    {
        foreach (var given in c.Input)
            if (session.Inputs.All(t => t.Name != given.Name))
                throw new EdgeException($"{source}input '{Text.Clip(given.Name)}' is not an input of the model ({string.Join(", ", session.Inputs.Select(t => t.Name))})");
        foreach (var t in session.Inputs)
        {
            var entry = c.Input.FirstOrDefault(x => x.Name == t.Name);
            if (entry is null)
            {
                var dims = Dims(t, batched);
                // A classifier's image input has the preprocessed size even where the file leaves it dynamic.
                if (classifier is not null && t.Name == classifier.Input.Name && batched)
                    dims = [classifier.Manifest.Preprocess.Channels, classifier.Manifest.Preprocess.Height, classifier.Manifest.Preprocess.Width];
                c.Input.Add(entry = new ModelInput { Name = t.Name, DataType = t.DataType.Config, Dims = { dims } });
            }
            Check(source, "input", t, entry.DataType, entry.Dims, batched);
            if (classifier is not null && t.Name == classifier.Input.Name && entry.Format == ModelInput.Types.Format.None)
                entry.Format = ModelInput.Types.Format.Nchw;
        }
    }

    private static void CompleteOutputs(ModelConfig c, TensorSession session, ClassifierInfo? classifier, bool batched, string source)
    {
        foreach (var given in c.Output)
            if (session.Outputs.All(t => t.Name != given.Name))
                throw new EdgeException($"{source}output '{Text.Clip(given.Name)}' is not an output of the model ({string.Join(", ", session.Outputs.Select(t => t.Name))})");
        foreach (var t in session.Outputs)
        {
            var entry = c.Output.FirstOrDefault(x => x.Name == t.Name);
            if (entry is null)
            {
                var dims = Dims(t, batched);
                if (classifier is not null && t.Name == classifier.Output.Name && dims.Length > 0 && dims[^1] < 0)
                    dims[^1] = classifier.NumClasses;
                c.Output.Add(entry = new ModelOutput { Name = t.Name, DataType = t.DataType.Config, Dims = { dims } });
            }
            Check(source, "output", t, entry.DataType, entry.Dims, batched);
        }
    }

    /// <summary>The published name of a configuration datatype (TYPE_INT32).</summary>
    public static string ConfigName(DataType type) => ModelConfigReflection.Descriptor.EnumTypes.First(e => e.Name == "DataType").FindValueByNumber((int)type)?.Name ?? type.ToString();

    private static long[] Dims(TensorInfo t, bool batched) => batched ? t.Shape[1..] : [.. t.Shape];

    private static void Check(string source, string what, TensorInfo t, DataType type, IReadOnlyList<long> dims, bool batched)
    {
        if (type != t.DataType.Config)
            throw new EdgeException($"{source}{what} '{t.Name}' is {ConfigName(t.DataType.Config)} in the model, not {ConfigName(type)}");
        var model = Dims(t, batched);
        if (dims.Count != model.Length || dims.Where((d, i) => d >= 0 && model[i] >= 0 && d != model[i]).Any())
            throw new EdgeException($"{source}{what} '{t.Name}' dims {Text.Shape(dims)} do not match the model's {Text.Shape(model)}{(batched ? " (without the batch dimension)" : "")}");
    }
}

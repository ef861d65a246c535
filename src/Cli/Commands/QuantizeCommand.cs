using System.CommandLine;
using Edge.Cli.Terminal;
using Edge.Core.Data;
using Edge.Core.Manifest;
using Edge.Quantize.Guarantee;
using Edge.Quantize.Speed;
using Edge.Quantize.Packaging;
using Edge.Quantize;
using Edge.Quantize.Calibration;
using Edge.Quantize.Mobile;

namespace Edge.Cli.Commands;

/// <summary><c>edge quantize</c>: a model package (student, teacher, any ONNX classifier) → int8 or fp16 package.</summary>
public sealed class QuantizeCommand : ICliCommand
{
    private static readonly Choices<TargetPrecision> Precisions = new(new Dictionary<string, TargetPrecision>
    {
        ["int8"] = TargetPrecision.Int8, ["fp16"] = TargetPrecision.Fp16,
    });

    private static readonly Choices<QuantizationMode> Modes = new(new Dictionary<string, QuantizationMode>
    {
        ["static-qoperator"] = QuantizationMode.StaticQOperator, ["static-qdq"] = QuantizationMode.StaticQdq, ["dynamic"] = QuantizationMode.Dynamic,
        // Measured: the fastest int8 form within --accuracy-budget (default 0.3 points), then a per-layer speed search.
        ["auto"] = QuantizationMode.Auto,
    });

    private static readonly Choices<LayerSearch> LayerSearches = new(new Dictionary<string, LayerSearch>
    {
        ["if-slower"] = LayerSearch.IfSlower, ["always"] = LayerSearch.Always, ["never"] = LayerSearch.Never,
    });

    private static readonly Choices<CalibrationMethod> Methods = new(new Dictionary<string, CalibrationMethod>
    {
        ["minmax"] = CalibrationMethod.MinMax, ["percentile"] = CalibrationMethod.Percentile, ["entropy"] = CalibrationMethod.Entropy,
    });

    public Command Build()
    {
        var model = new Option<string>("--model") { Description = "Source model package (folder, manifest, or .onnx with a sidecar manifest)", Required = true };
        var output = new Option<string>("--out") { Description = "Package folder to write", Required = true };
        var precision = Precisions.Option("--precision", "Target precision", "int8");
        // Auto by default: it measures the forms on this machine, so the package it writes is the fastest that passes the guarantee.
        var mode = Modes.Option("--mode", "INT8 form: auto (measured; falls back layer by layer), static-qoperator, static-qdq or dynamic", "auto");
        var method = Methods.Option("--calibration", "Activation range estimator", "minmax");
        var percentile = new Option<double>("--percentile") { Description = "Percentile for --calibration percentile", DefaultValueFactory = _ => 99.999 };
        var samples = new Option<int>("--calibration-samples") { Description = "Training images used for calibration", DefaultValueFactory = _ => 512 };
        var perTensor = new Option<bool>("--per-tensor") { Description = "One weight scale per tensor instead of per output channel" };
        var symmetric = new Option<bool>("--symmetric-activations") { Description = "Zero-centred activation ranges" };
        var keep = new Option<string[]>("--keep-float") { Description = "Node names or op types to keep in float (repeatable)", AllowMultipleArgumentsPerToken = true };
        var budget = new Option<double?>("--accuracy-budget") { Description = "Max held-out top-1 drop in points vs fp32 (default 0.3); with a fixed --mode it also runs a sensitivity search keeping the worst layers in float" };
        var dataset = new DatasetFlags("Dataset for calibration and the held-out check (its train split; classes matched to the model's labels by name)");
        var holdoutSamples = new Option<int>("--holdout-samples") { Description = "Held-out training images (never the calibration ones) for the accuracy budget and the searches", DefaultValueFactory = _ => 5000 };
        var seed = new Option<int>("--seed") { Description = "Seed for drawing the calibration and held-out images", DefaultValueFactory = _ => 0 };
        var batchSizes = new Option<string>("--batch-sizes") { Description = "Batch sizes at which the INT8 package must be no slower than fp32 (comma-separated)", DefaultValueFactory = _ => "1,64" };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads for the speed measurements (the serving setting)", DefaultValueFactory = _ => 2 };
        var allowSlower = new Option<bool>("--allow-slower") { Description = "Write the INT8 package even where it is slower than fp32 (the output and manifest say so)" };
        var allowDrop = new Option<bool>("--allow-accuracy-drop") { Description = "Write the INT8 package even when it misses the accuracy budget (the output and manifest say so)" };
        var layerSearch = LayerSearches.Option("--layer-search", "With --mode auto: when to try layers back in float for speed (if-slower: only when the chosen form is slower than fp32 at a batch size)", "if-slower");
        var maxSize = new Option<double?>("--max-size-ratio") { Description = "With --mode auto: keep a layer float for speed only while the model stays at most this fraction of fp32 (e.g. 0.3)" };
        var passes = new Option<string[]>("--graph-pass") { Description = "Graph rewrite before quantizing, in order (repeatable): pointwise-conv-matmul (1x1 convs as int8 MatMuls), token-depthwise-conv (depthwise convs on <=2x2 maps in token layout), int8-conv-weights (float convs keep int8-stored weights, folded at load), channels-last-conv-io (token<->conv layout changes as 4-D channels-last transposes that ONNX Runtime folds into its NCHWc reorders)", AllowMultipleArgumentsPerToken = true };
        var fuse = new Option<bool>("--fuse-attention") { Description = "With a fixed --mode: replace plain-op attention by one com.microsoft MultiHeadAttention first (--mode auto always tries it)" };
        var qconv = new Option<bool>("--linears-as-qlinearconv") { Description = "Linear layers as int8 QLinearConv 1x1 (channels-last) with calibrated ranges: ONNX Runtime keeps batch-1 token GEMMs on one thread (any mode but static-qdq; calibrates)" };
        var qconvRows = new Option<int>("--qlinearconv-max-rows") { Description = "With --linears-as-qlinearconv: only layers with at most this many rows (tokens) at batch 1", DefaultValueFactory = _ => 4 };
        var ort = new Option<bool>("--ort") { Description = "Also write model.ort and required_operators*.config for ONNX Runtime Mobile" };
        var command = new Command("quantize", "Quantize a model package to INT8 (dynamic, static QDQ or QOperator) or FP16")
        {
            model, output, precision, mode, method, percentile, samples, perTensor, symmetric, keep, budget, maxSize, passes, fuse, qconv, qconvRows,
            holdoutSamples, seed, batchSizes, threads, allowSlower, allowDrop, layerSearch, ort,
        };
        foreach (var o in dataset.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var source = ModelPackage.Load(parse.GetValue(model)!);
            var options = new QuantizePackageOptions
            {
                OutputDir = parse.GetValue(output)!,
                Precision = Precisions.Parse(parse.GetValue(precision)!),
                // A folder without split subfolders is split with --split-seed, or else the calibration draw's --seed.
                Data = dataset.Source(parse) is var data && parse.GetValue(dataset.SplitSeed) is null ? data with { SplitSeed = parse.GetValue(seed) } : data,
                CalibrationSamples = parse.GetValue(samples),
                HoldoutSamples = parse.GetValue(holdoutSamples),
                Seed = parse.GetValue(seed),
                AccuracyBudgetPoints = parse.GetValue(budget),
                MaxSizeRatio = parse.GetValue(maxSize),
                LayerSearch = LayerSearches.Parse(parse.GetValue(layerSearch)!),
                Guarantee = new GuaranteeOptions
                {
                    BatchSizes = ParseBatchSizes(parse.GetValue(batchSizes)!),
                    Threads = parse.GetValue(threads),
                    AllowSlower = parse.GetValue(allowSlower),
                    AllowAccuracyDrop = parse.GetValue(allowDrop),
                },
                Quantize = new QuantizeOptions
                {
                    Mode = Modes.Parse(parse.GetValue(mode)!),
                    PerChannel = !parse.GetValue(perTensor),
                    SymmetricActivations = parse.GetValue(symmetric),
                    KeepInFloat = parse.GetValue(keep) ?? [],
                    GraphPasses = parse.GetValue(passes) ?? [],
                    FuseAttention = parse.GetValue(fuse) ? Edge.Quantize.Passes.AttentionForm.MultiHeadAttention : null,
                    LinearsAsQLinearConv = parse.GetValue(qconv),
                    QLinearConvMaxRows = parse.GetValue(qconvRows),
                    Calibration = new CalibrationOptions { Method = Methods.Parse(parse.GetValue(method)!), Percentile = parse.GetValue(percentile) },
                },
            };
            var result = PackageQuantizer.Run(source, options, ConsoleProgressHost.ForConsole());
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine(result.Summary);
            if (parse.GetValue(ort))
            {
                var mobile = OrtFormatConverter.Convert(result.Package.ModelPath, Path.ChangeExtension(result.Package.ModelPath, ".ort"));
                o.WriteLine($"ORT format: {mobile.OrtPath} ({mobile.Bytes / 1e6:0.00} MB), operators: {mobile.OperatorsConfigPath}");
            }
            long before = new FileInfo(source.ModelPath).Length, after = new FileInfo(result.Package.ModelPath).Length;
            o.WriteLine($"size {before / 1e6:0.00} MB → {after / 1e6:0.00} MB ({(double)after / before:P0})");
            o.WriteLine($"package: {Path.GetDirectoryName(result.Package.ManifestPath)}");
            return 0;
        });
        return command;
    }

    private static int[] ParseBatchSizes(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sizes = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] < 1)
                throw new Edge.Core.EdgeException($"--batch-sizes '{text}': '{parts[i]}' is not a positive integer; use e.g. --batch-sizes 1,64");
        if (sizes.Length == 0) throw new Edge.Core.EdgeException("--batch-sizes is empty; use e.g. --batch-sizes 1,64");
        return sizes;
    }
}

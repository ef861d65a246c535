using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Quantize.Calibration;
using Edge.Quantize.Guarantee;

namespace Edge.Quantize.Packaging;

/// <summary>
/// The images quantizing a package reads, all from the dataset's train split and prepared with the package's own
/// preprocessing (images come in their own channels; the <see cref="Preprocessor"/> makes gray models' luma or RGB
/// models' replicated channels): a seeded calibration set and, disjoint from it, a held-out set for the accuracy
/// budget and the searches. The test split is never read.
/// </summary>
public sealed class PackageImages
{
    private readonly QuantizePackageOptions _options;
    private readonly ModelManifest _manifest;
    private readonly Lazy<HoldoutEvaluator> _holdout;

    public PackageImages(QuantizePackageOptions options, ModelManifest manifest)
    {
        if (options.CalibrationSamples < 1)
            throw new EdgeException($"calibration set is empty (--calibration-samples {options.CalibrationSamples}); use at least 1 (256–1024 is typical)");
        if (options.HoldoutSamples < 1)
            throw new EdgeException($"the held-out set is empty (--holdout-samples {options.HoldoutSamples}); use at least 1 (1000–5000 is typical)");
        _options = options;
        _manifest = manifest;
        Spec = manifest.Preprocess;
        _holdout = new Lazy<HoldoutEvaluator>(() =>
        {
            using var train = Open();
            var (_, held) = Split(train);
            return new HoldoutEvaluator(held, _manifest, $"{_options.Data} (train split, {held.Count} held-out images)");
        });
    }

    public PreprocessSpec Spec { get; }

    public long[] SampleShape => [Spec.Channels, Spec.Height, Spec.Width];

    public ICalibrationSource Calibration => new CalibrationSource(SampleShape, Batches);

    /// <summary>Built on first use (the held-out images are decoded once, then every candidate is scored on them).</summary>
    public HoldoutEvaluator Holdout => _holdout.Value;

    /// <summary>The first calibration batch: real inputs for the speed probe (realistic ranges and sparsity).</summary>
    public float[] ProbeSamples() => Batches().First();

    private IEnumerable<float[]> Batches()
    {
        using var train = Open();
        var (calibration, _) = Split(train);
        foreach (var batch in new BatchLoader(calibration, new Preprocessor(Spec)).Batches(64))
            yield return batch.Data;
    }

    private IImageDataset Open()
    {
        var train = DatasetFactory.Open(_options.Data, "train");
        if (train.Count < 2) { train.Dispose(); throw new EdgeException($"{_options.Data} has {train.Count} training image(s): calibration and a held-out set need at least 2"); }
        return train;
    }

    /// <summary>One seeded permutation: its head calibrates, the next images are held out (never the same image in both).</summary>
    private (IImageDataset Calibration, IImageDataset Holdout) Split(IImageDataset train)
    {
        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(_options.Seed).Shuffle(order);
        int calibration = Math.Min(_options.CalibrationSamples, train.Count - 1);
        int held = Math.Min(_options.HoldoutSamples, train.Count - calibration);
        return (new DatasetSubset(train, order[..calibration], $"{train.Description} [calibration {calibration}, seed {_options.Seed}]"),
            new DatasetSubset(train, order[calibration..(calibration + held)], $"{train.Description} [held out {held}, seed {_options.Seed}]"));
    }
}

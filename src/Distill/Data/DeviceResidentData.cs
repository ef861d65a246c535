using Edge.Core;
using Edge.Core.Preprocessing;
using Edge.Distill.Augment;
using Edge.Distill.Cache;
using Edge.Distill.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Data;

/// <summary>Where the training split lives while training.</summary>
public enum DataResidence
{
    /// <summary>On the training device when it is a GPU and the split fits; in host memory otherwise.</summary>
    Auto,
    /// <summary>Host memory: batches built by CPU workers and copied to the device every step.</summary>
    Host,
    /// <summary>On the training device (also on CPU, to test the path).</summary>
    Device,
}

/// <summary>One training step's tensors, owned by the step's dispose scope.</summary>
public sealed record DeviceBatch(Tensor Inputs, Tensor Labels, Tensor? TeacherLogits, Tensor? TeacherRows, int Count);

/// <summary>
/// The student's view of the un-augmented training split, its labels and the cached teacher logits held as tensors on
/// the training device, with flip + translation done there by gathers. Only when every image already has the
/// student's size (and the spec crops nothing): then preprocessing is a per-pixel map that commutes with flip and
/// translate (black becomes the normalised background), so this equals the host path, which augments the image first. A host-built batch costs a pageable host-to-device copy
/// per step, which on a GPU waits for the queue to drain; here each epoch uploads only its order and the per-sample
/// augmentation draws (a few bytes per image), then every batch is an index_select on the device.
/// The draws come from the same per-sample seeds (by dataset index) as <see cref="FlipTranslate"/>, so both paths give
/// identical batches.
/// </summary>
public sealed class DeviceResidentData : IDisposable
{
    private readonly Tensor _images, _labels;
    private readonly float[] _background;
    private readonly Tensor? _teacher;
    private readonly bool[] _hasTeacher;
    private readonly FlipTranslate _augment;
    private readonly int _channels, _height, _width, _maxShift, _views;
    private readonly bool _flipViews;
    private readonly torch.Device _device;
    private readonly int[] _sourceIndex;
    private Tensor? _order, _flip, _dx, _dy, _rows;
    private int[] _rowOffsets = [];
    private int _batchSize, _count;

    /// <param name="images">[count, channels, height, width]: the student's view of each un-augmented image.</param>
    /// <param name="labels">Class of each image (the teacher's class order).</param>
    /// <param name="sourceIndex">Dataset index of each image: what its augmentation seed is drawn from.</param>
    public DeviceResidentData(float[] images, int[] labels, int[] sourceIndex, int channels, int height, int width, float[] background, bool flip, int maxShift,
        TeacherLogitCache? cache, bool[] hasTeacher, bool flipViews, torch.Device device)
    {
        int count = labels.Length;
        if (images.Length != (long)count * channels * height * width)
            throw new EdgeException($"the training split holds {images.Length} values for {count} images but the input is [{channels}, {height}, {width}]");
        _channels = channels; _height = height; _width = width; _maxShift = maxShift; _device = device;
        _augment = new FlipTranslate(channels, height, width, flip, maxShift);
        _hasTeacher = hasTeacher;
        _flipViews = flipViews;
        _sourceIndex = sourceIndex;
        _images = tensor(images, [count, channels, height, width]).to(device);
        _labels = tensor(labels.Select(l => (long)l).ToArray()).to(device);
        _background = [.. background];
        if (cache is not null)
        {
            _views = cache.Views;
            var all = new float[(long)count * cache.Views * cache.Classes];
            for (int i = 0; i < count; i++)
                for (int v = 0; v < cache.Views; v++)
                    if (hasTeacher[i]) cache.Get(i, v).CopyTo(all.AsSpan((i * cache.Views + v) * cache.Classes, cache.Classes));
            _teacher = tensor(all, [count, cache.Views, cache.Classes]).to(device);
        }
    }

    /// <summary>Bytes a split of <paramref name="count"/> images of <paramref name="sampleLength"/> floats and its teacher logits take on the device.</summary>
    public static long BytesFor(int count, int sampleLength, TeacherLogitCache? cache) =>
        (long)count * sampleLength * 4 + count * 8L + (cache is null ? 0 : (long)count * cache.Views * cache.Classes * 4);

    /// <summary>Uploads this epoch's order and augmentation draws; <see cref="Batch"/> then slices them on the device.</summary>
    public int BeginEpoch(int[] order, int seed, int epoch, int batchSize)
    {
        DisposeEpoch();
        _batchSize = batchSize;
        _count = order.Length;
        int n = order.Length;
        var flips = new bool[n];
        var dx = new long[n];
        var dy = new long[n];
        var rows = new List<long>(n);
        int batches = (n + batchSize - 1) / batchSize;
        _rowOffsets = new int[batches + 1];
        for (int i = 0; i < n; i++)
        {
            var a = _augment.Draw(SeededRng.SampleSeed(seed, epoch, _sourceIndex[order[i]]));
            flips[i] = a.Flip; dx[i] = a.Dx; dy[i] = a.Dy;
        }
        for (int b = 0; b < batches; b++)
        {
            for (int i = b * batchSize; i < Math.Min(n, (b + 1) * batchSize); i++)
                if (_teacher is not null && _hasTeacher[order[i]]) rows.Add(i - b * batchSize);
            _rowOffsets[b + 1] = rows.Count;
        }
        _order = tensor(order.Select(i => (long)i).ToArray()).to(_device);
        _flip = tensor(flips).to(_device);
        _dx = tensor(dx).to(_device);
        _dy = tensor(dy).to(_device);
        _rows = tensor(rows.ToArray()).to(_device);
        return batches;
    }

    /// <summary>Batch <paramref name="b"/> of the epoch, created in the caller's dispose scope.</summary>
    public DeviceBatch Batch(int b)
    {
        if (_order is null) throw new InvalidOperationException("BeginEpoch first");
        long start = (long)b * _batchSize, end = Math.Min(_count, start + _batchSize);
        int count = (int)(end - start);
        var idx = _order.narrow(0, start, count);
        var x = Augment(_images.index_select(0, idx), _flip!.narrow(0, start, count), _dx!.narrow(0, start, count), _dy!.narrow(0, start, count));
        var y = _labels.index_select(0, idx);
        if (_teacher is null) return new DeviceBatch(x, y, null, null, count);
        int r0 = _rowOffsets[b], r = _rowOffsets[b + 1] - r0;
        if (r == 0) return new DeviceBatch(x, y, null, null, count);
        var rows = _rows!.narrow(0, r0, r);
        var logits = _teacher.index_select(0, idx.index_select(0, rows)); // [R, views, C]
        Tensor chosen;
        if (_views == 2 && _flipViews)
        {
            // The flipped image has its own targets in view 1 (see the host path's BuildBatch).
            var view = _flip!.narrow(0, start, count).index_select(0, rows).to(ScalarType.Int64);
            chosen = logits.gather(1, view.view(r, 1, 1).expand(r, 1, logits.shape[2])).squeeze(1);
        }
        else chosen = logits.select(1, 0);
        return new DeviceBatch(x, y, chosen, r == count ? null : rows, count);
    }

    /// <summary>
    /// Flip + translate by two gathers on a padded copy: out[y, x] = padded[y − dy + s, (flip ? W−1−(x−dx) : x−dx) + s].
    /// Each channel is padded with its own background value (the normalised black), so the result equals preprocessing
    /// the <see cref="FlipTranslate"/>ed image exactly.
    /// </summary>
    public Tensor Augment(Tensor x, Tensor flip, Tensor dx, Tensor dy)
    {
        long n = x.shape[0];
        int s = _maxShift, h = _height, w = _width;
        var planes = new Tensor[_channels];
        for (int c = 0; c < _channels; c++)
            planes[c] = nn.functional.pad(x.select(1, c), [s, s, s, s], PaddingModes.Constant, _background[c]);
        var padded = stack(planes, 1); // [N, C, H+2s, W+2s]
        var ys = arange(h, ScalarType.Int64, _device).view(1, h) - dy.view(n, 1) + s;
        var sx = arange(w, ScalarType.Int64, _device).view(1, w) - dx.view(n, 1);
        var px = where(flip.view(n, 1), (w - 1) - sx, sx) + s;
        var rowsPicked = padded.gather(2, ys.view(n, 1, h, 1).expand(n, _channels, h, w + 2 * s));
        return rowsPicked.gather(3, px.view(n, 1, 1, w).expand(n, _channels, h, w));
    }

    private void DisposeEpoch()
    {
        foreach (var t in new[] { _order, _flip, _dx, _dy, _rows }) t?.Dispose();
        _order = _flip = _dx = _dy = _rows = null;
    }

    public void Dispose()
    {
        DisposeEpoch();
        _images.Dispose(); _labels.Dispose(); _teacher?.Dispose();
    }
}

/// <summary>Chooses between the host and the device-resident training data.</summary>
public static class TrainingData
{
    /// <summary>Unknown GPU size: assume this much may hold the split (a small model's activations fit beside it on any training GPU).</summary>
    private const long UnknownGpuBudget = 2L << 30;

    /// <summary>The device-resident split when chosen (or forced), else null for the host path.</summary>
    /// <param name="plainBatches">The host batches are the default flip + translation over the per-run logit cache,
    /// the only pipeline this path reproduces (other augmentations and the FPD cache stay on the host).</param>
    /// <param name="toTeacherClass">Dataset class index → teacher class index.</param>
    public static DeviceResidentData? Select(DistillOptions o, bool onlineTeacher, bool plainBatches, SampleStore train, PreprocessSpec spec,
        int[] toTeacherClass, TeacherLogitCache? cache, bool[] hasTeacher, int workers, torch.Device device)
    {
        if (o.DataResidence == DataResidence.Host) return null;
        bool forced = o.DataResidence == DataResidence.Device;
        string? why = !plainBatches ? "replays flip + translate with the per-run teacher cache only; drop --augment / --teacher-cache"
            : onlineTeacher ? "needs cached teacher targets: the online teacher (--online-teacher or feature losses) reads host batches"
            : !train.InMemory ? "needs the training split in memory (--data-memory memory)"
            : null;
        if (why is null && !(spec.CropFraction == 1f && Enumerable.Range(0, train.Count).All(i => train.Image(i) is var im && im.Height == spec.Height && im.Width == spec.Width)))
            why = $"augments on the device at the student's resolution, so every image must already be {spec.Height}x{spec.Width} (with crop_fraction 1); the host path augments each image at its own size";
        if (why is not null)
        {
            if (forced) throw new EdgeException($"--data-on device {why}, or use --data-on host");
            return null;
        }
        long bytes = DeviceResidentData.BytesFor(train.Count, spec.TensorLength, cache);
        if (!forced)
        {
            if (device.type != DeviceType.CUDA) return null;
            var gpu = Edge.Distill.Device.CudaDriver.Gpus().FirstOrDefault(g => g.Index == Math.Max(0, (int)device.index));
            long budget = gpu is null || gpu.TotalBytes == 0 ? UnknownGpuBudget : gpu.TotalBytes / 4;
            if (bytes > budget) return null;
        }
        var rows = Enumerable.Range(0, train.Count).ToArray();
        var images = ViewBatch.Plain(train, rows, workers: workers).View(spec);
        var background = Enumerable.Range(0, spec.Channels).Select(c => (0f - spec.Mean[c]) * (1f / spec.Std[c])).ToArray();
        return new DeviceResidentData(images, [.. rows.Select(r => toTeacherClass[train.Label(r)])], [.. rows.Select(train.SourceIndex)], spec.Channels, spec.Height, spec.Width,
            background, o.Flip, o.MaxShift, cache, hasTeacher, o.TeacherFlipViews, device);
    }
}

using Edge.Core.Imaging;
using Edge.Core.Preprocessing;
using Edge.Distill.Augment;

namespace Edge.Distill.Data;

/// <summary>
/// One batch of samples, each decoded and augmented once (its <see cref="Canvas"/>), and every model's own view of it:
/// the student's and each teacher's tensor [n, C, H, W] are made from the same canvases by the one
/// <see cref="Preprocessor"/>, each with its own size, channels and normalisation. A batch mix (Mixup/CutMix) is
/// applied to each view with the same λ and (scaled) box. Views are made on first request and kept. Thread-safe.
/// </summary>
public sealed class ViewBatch
{
    private readonly Canvas[] _canvases;
    private readonly MixPlan? _plan;
    private readonly int _workers;
    private readonly List<(PreprocessSpec Spec, float[] Data)> _views = [];
    private readonly object _gate = new();

    public ViewBatch(Canvas[] canvases, MixPlan? plan = null, int workers = 0)
    {
        _canvases = canvases; _plan = plan; _workers = workers > 0 ? workers : Environment.ProcessorCount;
    }

    public int Count => _canvases.Length;
    public MixPlan? Plan => _plan;

    /// <summary>Un-augmented canvases of the given rows (optionally mirrored): what a teacher's cached targets are made on.</summary>
    public static ViewBatch Plain(SampleStore store, IReadOnlyList<int> rows, bool mirrored = false, int workers = 0)
    {
        var canvases = new Canvas[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = workers > 0 ? workers : Environment.ProcessorCount }, i =>
        {
            var c = store.Canvas(rows[i]);
            if (mirrored) Mirror(c);
            canvases[i] = c;
        });
        return new ViewBatch(canvases, null, workers);
    }

    /// <summary>The batch as <paramref name="spec"/>'s model sees it, [Count, C, H, W] row-major.</summary>
    public float[] View(PreprocessSpec spec)
    {
        lock (_gate)
        {
            foreach (var (s, data) in _views)
                if (s.SameAs(spec)) return data;
        }
        var made = Make(spec);
        lock (_gate)
        {
            foreach (var (s, data) in _views)
                if (s.SameAs(spec)) return data;
            _views.Add((spec, made));
        }
        return made;
    }

    private float[] Make(PreprocessSpec spec)
    {
        var pre = new Preprocessor(spec);
        int len = pre.TensorLength;
        var data = new float[_canvases.Length * len];
        Parallel.For(0, _canvases.Length, new ParallelOptions { MaxDegreeOfParallelism = _workers },
            i => pre.Run(_canvases[i], data.AsSpan(i * len, len)));
        if (_plan is not null && _canvases.Length >= 2)
            BatchMixer.MixInputs(data, _canvases.Length, new ImageLayout(spec.Channels, spec.Height, spec.Width), _plan);
        return data;
    }

    /// <summary>Left-right mirror of every plane, in place.</summary>
    public static void Mirror(Canvas c)
    {
        for (int row = 0; row < c.Channels * c.Height; row++)
            c.Data.AsSpan(row * c.Width, c.Width).Reverse();
    }
}

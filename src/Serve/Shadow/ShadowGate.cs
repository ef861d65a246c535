using Edge.Core.Gate;
using Edge.Core.Preprocessing;
using Edge.Serve.Metrics;
using Microsoft.Extensions.Logging;

namespace Edge.Serve.Shadow;

/// <summary>
/// The accuracy gate's checks on live traffic: a bounded window of the last shadowed samples (teacher and served
/// model logits) per model version, re-analysed with <see cref="GateAnalysis"/> every few new samples. The data
/// are unlabeled, so only the agreement rule applies (with its bootstrap bound); the mean KL is exported beside it.
/// Called from the shadow worker only, never on the request path; the lock covers on-demand analysis from elsewhere.
/// </summary>
public sealed partial class ShadowGate
{
    /// <summary>The rules that need no labels, no baseline and no latency.</summary>
    public static IReadOnlyList<IGateRule> Rules { get; } = [GateRuleRegistry.Get("min-agreement")];

    private const int BootstrapResamples = 1000;
    private const int Seed = 1234;
    private readonly int _capacity;
    private readonly int _every;
    private readonly GateThresholds _thresholds;
    private readonly ServeMetrics _metrics;
    private readonly ILogger _log;
    private readonly Dictionary<(string Model, string Version), Window> _windows = [];
    private readonly Lock _lock = new();

    public ShadowGate(int capacity, int every, GateThresholds thresholds, ServeMetrics metrics, ILogger log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        thresholds.Validate();
        (_capacity, _every, _thresholds, _metrics, _log) = (capacity, every, thresholds, metrics, log);
    }

    /// <summary>
    /// Adds one sample's logits (same class order for both); every <c>every</c> samples per model version the window
    /// is analysed and the result returned, otherwise null.
    /// </summary>
    public GateReport? Add(string model, string version, IReadOnlyList<string> classes, PreprocessSpec preprocess,
        ReadOnlySpan<float> teacherLogits, ReadOnlySpan<float> candidateLogits)
    {
        if (teacherLogits.Length != candidateLogits.Length || teacherLogits.Length != classes.Count)
            throw new ArgumentException($"shadow gate needs logits over the same {classes.Count} classes (teacher {teacherLogits.Length}, {model} {candidateLogits.Length})");
        lock (_lock)
        {
            if (!_windows.TryGetValue((model, version), out var window))
                _windows[(model, version)] = window = new Window(_capacity, classes, preprocess);
            window.Add(teacherLogits, candidateLogits);
            return window.SinceAnalysis >= _every ? AnalyzeLocked(model, version, window) : null;
        }
    }

    /// <summary>Analyses a model version's window now; null when nothing was shadowed for it yet.</summary>
    public GateReport? Analyze(string model, string version)
    {
        lock (_lock)
            return _windows.TryGetValue((model, version), out var window) && window.Count > 0 ? AnalyzeLocked(model, version, window) : null;
    }

    private GateReport AnalyzeLocked(string model, string version, Window window)
    {
        window.SinceAnalysis = 0;
        var (teacher, candidate) = window.Snapshot();
        var inputs = GateInputs.FromLogits($"shadow window of {model} v{version} ({window.Count} live samples)", window.Classes, window.Count,
            "shadow-teacher", teacher, [(model, candidate)], window.Preprocess);
        var report = GateAnalysis.Analyze(inputs, _thresholds, Rules, BootstrapResamples, Seed);
        var result = report.Candidates[0];
        _metrics.ShadowWindowSamples.WithLabels(model, version).Set(window.Count);
        _metrics.ShadowAgreementLowerBound.WithLabels(model, version).Set(result.Agreement.Lower / 100);
        _metrics.ShadowAgreementUpperBound.WithLabels(model, version).Set(result.AgreementUpperBound / 100);
        _metrics.ShadowMeanKl.WithLabels(model, version).Set(result.MeanKl);
        foreach (var outcome in report.Rules.Where(r => r.Status != RuleStatus.Skip))
        {
            bool passed = outcome.Status == RuleStatus.Pass;
            var gauge = _metrics.ShadowGatePassed.WithLabels(model, version, outcome.Rule);
            bool wasFailing = window.Failing.Contains(outcome.Rule);
            if (!passed && !wasFailing)
            {
                window.Failing.Add(outcome.Rule);
                LogRuleFailing(model, version, outcome.Rule, window.Count, outcome.Detail);
            }
            else if (passed && wasFailing)
            {
                window.Failing.Remove(outcome.Rule);
                LogRulePassing(model, version, outcome.Rule, window.Count);
            }
            gauge.Set(passed ? 1 : 0);
        }
        return report;
    }

    /// <summary>A ring buffer of the last <c>capacity</c> samples' logits.</summary>
    private sealed class Window(int capacity, IReadOnlyList<string> classes, PreprocessSpec preprocess)
    {
        private readonly float[] _teacher = new float[capacity * classes.Count];
        private readonly float[] _candidate = new float[capacity * classes.Count];
        private int _next;

        public IReadOnlyList<string> Classes { get; } = classes;
        public PreprocessSpec Preprocess { get; } = preprocess;
        public int Count { get; private set; }
        public int SinceAnalysis { get; set; }
        public HashSet<string> Failing { get; } = [];

        public void Add(ReadOnlySpan<float> teacher, ReadOnlySpan<float> candidate)
        {
            int k = Classes.Count;
            teacher.CopyTo(_teacher.AsSpan(_next * k, k));
            candidate.CopyTo(_candidate.AsSpan(_next * k, k));
            _next = (_next + 1) % capacity;
            Count = Math.Min(Count + 1, capacity);
            SinceAnalysis++;
        }

        /// <summary>Copies of the filled rows (order does not matter to the analysis: rows stay paired).</summary>
        public (float[] Teacher, float[] Candidate) Snapshot()
        {
            int n = Count * Classes.Count;
            return (_teacher.AsSpan(0, n).ToArray(), _candidate.AsSpan(0, n).ToArray());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "shadow gate: rule {Rule} now FAILS for {Model} v{Version} over the last {Samples} live samples: {Detail}")]
    private partial void LogRuleFailing(string model, string version, string rule, int samples, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "shadow gate: rule {Rule} passes again for {Model} v{Version} over the last {Samples} live samples")]
    private partial void LogRulePassing(string model, string version, string rule, int samples);
}

using System.Diagnostics;
using Edge.Core.Progress;

namespace Edge.Bench.Distill;

/// <summary>One line per finished step (title, units, seconds, rate): a log a person can read after the run.</summary>
public sealed class LineProgress : IProgressHost
{
    public StepHandle Begin(string title, long total, string unit)
    {
        var clock = Stopwatch.StartNew();
        return new StepHandle(IStepProgress.None, () =>
            Console.WriteLine($"  {title}: {total} {unit} in {clock.Elapsed.TotalSeconds:F1} s ({total / Math.Max(1e-9, clock.Elapsed.TotalSeconds):F0} {unit}/s)"));
    }
}

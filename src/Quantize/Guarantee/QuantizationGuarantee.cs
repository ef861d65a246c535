using Edge.Core;
using Edge.Quantize.Speed;

namespace Edge.Quantize.Guarantee;

/// <summary>
/// Measures an INT8 model against its fp32 source (held-out top-1, interleaved speed at each batch size) and refuses
/// it, with one line naming what missed and what to do, unless the matching override is set.
/// </summary>
public static class QuantizationGuarantee
{
    public static GuaranteeResult Measure(string fp32Path, string int8Path, HoldoutEvaluator holdout, ISpeedProbe probe, GuaranteeOptions options)
    {
        options.Validate();
        double fp32 = holdout.Top1(fp32Path), int8 = holdout.Top1(int8Path);
        var speedups = SpeedComparison.Speedups(probe, fp32Path, int8Path, options.Rounds);
        SpeedComparison.Forget(probe, fp32Path);
        SpeedComparison.Forget(probe, int8Path);
        return new GuaranteeResult(fp32, int8, holdout.Count, probe.BatchSizes, speedups, options.MaxTop1DropPoints, options.MinSpeedup);
    }

    /// <summary>Null when the package may be written (bars met, or missed under an override); otherwise why not.</summary>
    public static string? Refusal(GuaranteeResult r, GuaranteeOptions options, string modeHint)
    {
        var problems = new List<string>();
        if (!r.AccuracyMet && !options.AllowAccuracyDrop)
            problems.Add($"INT8 {r.Accuracy}, over the {r.MaxTop1DropPoints:0.##}-point budget");
        if (!r.SpeedMet && !options.AllowSlower)
            problems.Add($"INT8 is slower than fp32 at batch {string.Join(", ", r.SlowerAt)} ({r.Speed})");
        if (problems.Count == 0) return null;
        return $"no package written: {string.Join("; ", problems)}. {modeHint}, or pass {(r.AccuracyMet || options.AllowAccuracyDrop ? "" : "--allow-accuracy-drop ")}{(r.SpeedMet || options.AllowSlower ? "" : "--allow-slower ")}to write it anyway".Replace("  ", " ");
    }

    /// <summary>The plain warning printed (and recorded) when an override let a missed bar through; null when every bar was met.</summary>
    public static string? OverrideNote(GuaranteeResult r)
    {
        var notes = new List<string>();
        if (!r.AccuracyMet) notes.Add($"accuracy budget MISSED ({r.DropPoints:0.00} > {r.MaxTop1DropPoints:0.##} points), written under --allow-accuracy-drop");
        if (!r.SpeedMet) notes.Add($"SLOWER than fp32 at batch {string.Join(", ", r.SlowerAt)}, written under --allow-slower");
        return notes.Count == 0 ? null : string.Join("; ", notes);
    }
}

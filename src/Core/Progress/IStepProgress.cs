namespace Edge.Core.Progress;

/// <summary>
/// How a long-running library step (training, calibration, evaluation) reports progress without knowing about
/// the console. The CLI turns it into a progress bar with throughput and ETA; tests pass <see cref="None"/>.
/// </summary>
public interface IStepProgress
{
    /// <summary><paramref name="done"/> of <paramref name="total"/> units; <paramref name="detail"/> is a short status (loss, accuracy).</summary>
    void Report(long done, long total, string? detail = null);

    public static readonly IStepProgress None = new NoProgress();

    private sealed class NoProgress : IStepProgress
    {
        public void Report(long done, long total, string? detail = null) { }
    }
}

/// <summary>Starts named steps; each returns its own <see cref="IStepProgress"/> and finishes when disposed.</summary>
public interface IProgressHost
{
    StepHandle Begin(string title, long total, string unit);

    public static readonly IProgressHost None = new NoHost();

    private sealed class NoHost : IProgressHost
    {
        public StepHandle Begin(string title, long total, string unit) => new(IStepProgress.None, () => { });
    }
}

public sealed class StepHandle(IStepProgress progress, Action finish) : IDisposable
{
    public IStepProgress Progress => progress;
    public void Report(long done, long total, string? detail = null) => progress.Report(done, total, detail);
    public void Dispose() => finish();
}

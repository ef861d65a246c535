using System.Diagnostics;
using Edge.Core.Progress;

namespace Edge.Cli.Terminal;

/// <summary>
/// Renders library progress as one bar per step with throughput and ETA. On a terminal the bar redraws in
/// place (at most 10 times a second); when output is redirected (CI logs) it prints a line every 10% instead,
/// so logs stay short but still show progress.
/// </summary>
public sealed class ConsoleProgressHost(TextWriter output, bool interactive) : IProgressHost
{
    private readonly object _gate = new();
    private TextWriter Output => output;
    private bool Interactive => interactive;

    public static ConsoleProgressHost ForConsole() =>
        new(System.Console.Out, !System.Console.IsOutputRedirected && System.Console.WindowWidth > 0);

    public StepHandle Begin(string title, long total, string unit)
    {
        var step = new Step(this, title, total, unit);
        return new StepHandle(step, step.Finish);
    }

    private sealed class Step(ConsoleProgressHost host, string title, long total, string unit) : IStepProgress
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _done, _total = total;
        private string? _detail;
        private long _lastDrawMs = -1000;
        private int _lastDecile = -1;
        private bool _finished;

        public void Report(long done, long total, string? detail = null)
        {
            lock (host._gate)
            {
                if (_finished) return;
                _done = done; _total = total; _detail = detail ?? _detail;
                long now = _clock.ElapsedMilliseconds;
                if (host.Interactive)
                {
                    if (now - _lastDrawMs < 100 && done < total) return;
                    _lastDrawMs = now;
                    host.Output.Write("\r" + Line(final: false).PadRight(Math.Max(0, SafeWidth() - 1)));
                }
                else
                {
                    int decile = total > 0 ? (int)(10 * done / total) : 0;
                    if (decile == _lastDecile) return;
                    _lastDecile = decile;
                    host.Output.WriteLine(Line(final: false));
                }
            }
        }

        public void Finish()
        {
            lock (host._gate)
            {
                if (_finished) return;
                _finished = true;
                if (host.Interactive) host.Output.Write("\r");
                host.Output.WriteLine(Line(final: true).PadRight(host.Interactive ? Math.Max(0, SafeWidth() - 1) : 0));
            }
        }

        private string Line(bool final)
        {
            double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-6);
            double rate = _done / seconds;
            double fraction = _total > 0 ? Math.Clamp((double)_done / _total, 0, 1) : 0;
            const int width = 24;
            int filled = (int)Math.Round(fraction * width);
            string bar = new string('█', filled) + new string('░', width - filled);
            string time = final
                ? $"done in {Format(TimeSpan.FromSeconds(seconds))}"
                : $"ETA {(rate > 0 && _total > _done ? Format(TimeSpan.FromSeconds((_total - _done) / rate)) : "--:--")}";
            string detail = string.IsNullOrEmpty(_detail) ? "" : $"  {_detail}";
            return $"{title,-28} {bar} {fraction,4:P0} {_done}/{_total} {unit}  {rate:N0} {unit}/s  {time}{detail}";
        }

        private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"mm\:ss");

        private static int SafeWidth()
        {
            try { return System.Console.WindowWidth; } catch (IOException) { return 120; }
        }
    }
}

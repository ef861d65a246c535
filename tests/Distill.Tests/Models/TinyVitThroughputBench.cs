using System.Diagnostics;
using Edge.Distill.Models;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Models;

/// <summary>
/// Training throughput (forward + backward + AdamW step, batch 128) of the 32 px presets. Opt-in with
/// EDGE_BENCH=1 because it takes tens of seconds on two cores; run with GLIBC_TUNABLES=glibc.malloc.hugetlb=1
/// to match the numbers quoted in <see cref="TinyVitPresets"/>.
/// </summary>
public class TinyVitThroughputBench(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tinyvit-quick-32")]
    [InlineData("tinyvit-5m-32")]
    [InlineData("simple-cnn")]
    public void TrainStepThroughput(string name)
    {
        if (Environment.GetEnvironmentVariable("EDGE_BENCH") != "1") return;
        var json = Environment.GetEnvironmentVariable("EDGE_BENCH_CONFIG");
        var config = json is null ? null : StudentRegistry.ParseConfig(name, json);
        using var model = StudentRegistry.Create(name, config);
        model.train();
        var opt = optim.AdamW(model.parameters(), lr: 1e-3);
        const int batch = 128;
        int steps = int.Parse(Environment.GetEnvironmentVariable("EDGE_BENCH_STEPS") ?? "10");
        double Run(int n)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                using var scope = NewDisposeScope();
                var x = randn(batch, model.Config.InChannels, model.Config.ImageSize, model.Config.ImageSize);
                var y = randint(0, model.Config.NumClasses, [batch]);
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                loss.backward();
                opt.step();
            }
            return n * batch / sw.Elapsed.TotalSeconds;
        }
        Run(2);
        double ips = Run(steps);
        output.WriteLine($"{name}: {model.ParameterCount:N0} params, {ips:F0} img/s train (batch {batch}, threads {get_num_threads()})");
    }
}

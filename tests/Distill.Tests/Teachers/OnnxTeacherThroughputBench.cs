using System.Diagnostics;
using Edge.Core.Inference;
using Edge.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Edge.Distill.Tests.Teachers;

/// <summary>ORT throughput of the default teacher. Opt-in with EDGE_BENCH=1 (tens of seconds on two cores).</summary>
public class OnnxTeacherThroughputBench(ITestOutputHelper output)
{
    [Theory]
    [InlineData(64)]
    [InlineData(256)]
    public void TeacherImagesPerSecond(int batch)
    {
        if (Environment.GetEnvironmentVariable("EDGE_BENCH") != "1") return;
        using var teacher = new OnnxClassifier(TestPaths.Teacher);
        var input = new float[batch * 32 * 32];
        for (int i = 0; i < input.Length; i++) input[i] = (i % 97) / 97f;
        teacher.Run(input, batch);
        var sw = Stopwatch.StartNew();
        int n = 0;
        while (sw.Elapsed.TotalSeconds < 5) { teacher.Run(input, batch); n += batch; }
        output.WriteLine($"teacher batch {batch}: {n / sw.Elapsed.TotalSeconds:F0} img/s");
    }
}

using System.Diagnostics;
using Edge.Core.Inference;
using Edge.Distill.Training;

namespace Edge.Bench.Distill;

/// <summary><c>teacher</c>: ONNX Runtime throughput of the teacher at a few batch sizes, each timed for a few seconds
/// after one warm-up run (what tests/Distill.Tests/Teachers/OnnxTeacherThroughputBench measured behind EDGE_BENCH=1).</summary>
public static class TeacherBench
{
    public static int Run(Args a)
    {
        string model = a.Text("--teacher", Path.Combine(Paths.Root, DistillOptions.DefaultTeacher));
        int[] batches = [.. a.Text("--batches", "64,256").Split(',').Select(int.Parse)];
        double seconds = a.Double("--seconds", 5);
        a.RequireAllRead();
        using var teacher = new OnnxClassifier(model);
        Console.WriteLine($"teacher {model}: input [{string.Join(", ", teacher.InputShape)}]; load {Paths.Load()}");
        foreach (int batch in batches)
        {
            var input = new float[batch * teacher.SampleLength];
            for (int i = 0; i < input.Length; i++) input[i] = (i % 97) / 97f;
            teacher.Run(input, batch);
            var clock = Stopwatch.StartNew();
            long images = 0;
            while (clock.Elapsed.TotalSeconds < seconds) { teacher.Run(input, batch); images += batch; }
            Console.WriteLine($"teacher batch {batch}: {images / clock.Elapsed.TotalSeconds:F0} img/s");
        }
        Console.WriteLine($"load {Paths.Load()}");
        return 0;
    }
}

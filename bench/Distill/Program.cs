using Edge.Bench.Distill;
using Edge.Core;

// Modes (options are --name value pairs; see docs/BENCHMARKS.md for the commands behind each figure):
//   recipe  [--epochs 2 --teacher-samples 15000 --student tinyvit-quick-32 --batch 128 --lr 0.002 --loss kd=1,ce=0.5
//            --train-samples N --threads N --seed 0 --out DIR --resume 1]    the quickstart's distill step, timed
//   losses  [--losses "ce=1;kd=1,ce=0.5;..." --seeds 0,1 --out DIR, and the recipe options]  a loss table + losses.png
//   plot    LOSSES.JSON [OUT.PNG]                                              redraws losses.png
//   teacher [--teacher model.onnx --batches 64,256 --seconds 5]              the teacher's ONNX Runtime throughput
try
{
    return args switch
    {
        ["recipe", .. var rest] => RecipeBench.Run(new Args(rest)),
        ["losses", .. var rest] => LossTableBench.Run(new Args(rest)),
        ["plot", var json] => LossTableBench.Plot(json, null),
        ["plot", var json, var png] => LossTableBench.Plot(json, png),
        ["teacher", .. var rest] => TeacherBench.Run(new Args(rest)),
        _ => throw new EdgeException("usage: edge-bench-distill recipe|losses|plot|teacher [--name value ...] (see docs/BENCHMARKS.md)"),
    };
}
catch (EdgeException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Passes;

/// <summary>One rewrite of the graph; returns how many nodes it changed or removed (for the export log).</summary>
public interface IGraphPass
{
    string Name { get; }
    int Run(OnnxGraph graph);
}

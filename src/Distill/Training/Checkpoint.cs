using System.Text.Json;
using Edge.Core;
using Edge.Core.IO;
using TorchSharp;
using TorchSharp.Modules;

namespace Edge.Distill.Training;

/// <summary>Run state stored at the head of a checkpoint.</summary>
public sealed record CheckpointState(int Epoch, long Step, string Fingerprint, IReadOnlyList<EpochMetrics> Metrics);

/// <summary>
/// One file holding the run state, the student's weights and the optimizer's state (moments, step counts),
/// written under a temporary name and renamed, so a run killed mid-save keeps the previous epoch's checkpoint.
/// The trailing tensors are the loss's parameters followed by any EMA weights (any extra state to restore exactly).
/// </summary>
public static class Checkpoint
{
    private const string Magic = "edge-distill-checkpoint/1";

    public static void Save(string path, CheckpointState state, torch.nn.Module model, OptimizerHelper optimizer,
        IEnumerable<torch.Tensor> lossParameters)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(JsonSerializer.Serialize(state, JsonFiles.Options));
            model.save(w);
            optimizer.save_state_dict(w);
            var extra = lossParameters.ToArray();
            w.Write(extra.Length);
            foreach (var p in extra) p.Save(w);
            w.Flush();
        });
    }

    /// <summary>Reads only the run state (cheap): for resume decisions and tools.</summary>
    public static CheckpointState ReadState(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        return ReadHeader(r, path);
    }

    public static CheckpointState Load(string path, torch.nn.Module model, OptimizerHelper optimizer, IEnumerable<torch.Tensor> lossParameters)
    {
        using var r = new BinaryReader(File.OpenRead(path));
        var state = ReadHeader(r, path);
        model.load(r, strict: true);
        optimizer.load_state_dict(r);
        var extra = lossParameters.ToArray();
        int count = r.ReadInt32();
        if (count != extra.Length)
            throw new EdgeException($"{path} holds {count} loss parameters but this objective has {extra.Length}; resume with the same --loss");
        foreach (var p in extra)
            using (torch.no_grad())
                p.Load(r);
        return state;
    }

    private static CheckpointState ReadHeader(BinaryReader r, string path)
    {
        try
        {
            if (r.ReadString() != Magic)
                throw new EdgeException($"{path} is not an Edge distill checkpoint");
            return JsonSerializer.Deserialize<CheckpointState>(r.ReadString(), JsonFiles.Options)
                   ?? throw new EdgeException($"{path} has an empty run state");
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException)
        {
            throw new EdgeException($"{path} is not a readable Edge distill checkpoint ({e.Message}); delete it to start over");
        }
    }
}

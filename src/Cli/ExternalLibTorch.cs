using Edge.Core;
using Edge.Distill.Device;

namespace Edge.Cli;

/// <summary>
/// An external libtorch must be loaded before anything touches TorchSharp, so the process entry point does it when
/// one is named (EDGE_LIBTORCH) or when this is the bundle, which ships no libtorch. A failure is not fatal here:
/// verbs without TorchSharp (serve, gate, inspect) still work, and the first one that needs libtorch reports the
/// problem through <see cref="TorchDevices"/>.
/// </summary>
internal static class ExternalLibTorch
{
    public static void LoadIfNeeded()
    {
        bool named = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(LibTorchLocator.Variable));
        if (!named && LibTorchLoader.HasBundledLibTorch) return;
        try { TorchDevices.EnsureLibTorch(LibTorchProbe.Machine, needCuda: false, "edge"); }
        catch (EdgeException) { }
    }
}

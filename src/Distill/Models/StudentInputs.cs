using Edge.Core;
using Edge.Core.Preprocessing;

namespace Edge.Distill.Models;

/// <summary>
/// Builds a student's config for the input its preprocessing produces. The student architectures here take square
/// inputs of any side their stem can downsample; a spec they cannot take is an <see cref="EdgeException"/> naming it.
/// </summary>
public static class StudentInputs
{
    /// <summary>True when the preset's architecture can take <paramref name="channels"/> × <paramref name="size"/>².</summary>
    public static bool Fits(TinyVitConfig preset, int channels, int size)
    {
        try
        {
            (preset with { InChannels = channels, ImageSize = size }).Validate();
            return size >= preset.StemStride && size <= 4 * preset.ImageSize && size * 4 >= preset.ImageSize;
        }
        catch (EdgeException)
        {
            return false;
        }
    }

    /// <summary>The preset's config with the spec's channels and size.</summary>
    public static TinyVitConfig ForInput(TinyVitConfig preset, PreprocessSpec spec, string presetName)
    {
        if (spec.Height != spec.Width)
            throw new EdgeException($"student {presetName} takes square inputs; the student preprocessing is {spec.Height}x{spec.Width} (set --student-size)");
        if (spec.Height < preset.StemStride)
            throw new EdgeException($"student {presetName} needs inputs of at least {preset.StemStride}x{preset.StemStride} (its stem stride); --student-size {spec.Height} is too small");
        return (preset with { InChannels = spec.Channels, ImageSize = spec.Height }).Validate();
    }
}

using Edge.Core;
using Edge.Core.Preprocessing;

namespace Edge.Distill.Models;

/// <summary>
/// Builds a student's config for the input its preprocessing produces, for any family: each family's
/// <see cref="StudentConfig.WithInput"/> says what it can take (window sizes, stride-2 layers on 1x1 maps); a spec
/// it cannot take is an <see cref="EdgeException"/> naming it.
/// </summary>
public static class StudentInputs
{
    /// <summary>
    /// True when the preset's architecture can take <paramref name="channels"/> × <paramref name="size"/>² and the
    /// size is within 4x of the size it was designed for (a preset far from its native size is a different model).
    /// </summary>
    public static bool Fits(StudentConfig preset, int channels, int size)
    {
        if (size > 4 * preset.ImageSize || size * 4 < preset.ImageSize) return false;
        try
        {
            preset.WithInput(channels, size);
            return true;
        }
        catch (EdgeException)
        {
            return false;
        }
    }

    /// <summary>The preset's config with the spec's channels and size.</summary>
    public static StudentConfig ForInput(StudentConfig preset, PreprocessSpec spec, string presetName)
    {
        if (spec.Height != spec.Width)
            throw new EdgeException($"student {presetName} takes square inputs; the student preprocessing is {spec.Height}x{spec.Width} (set --student-size)");
        try
        {
            return preset.WithInput(spec.Channels, spec.Height);
        }
        catch (EdgeException e)
        {
            throw new EdgeException($"student {presetName} cannot take {spec.Channels}x{spec.Height}x{spec.Width} inputs (--student-size {spec.Height}): {e.Message}");
        }
    }
}

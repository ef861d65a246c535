using Edge.Core;
using Edge.Core.Preprocessing;

namespace Edge.Distill.Training;

/// <summary>
/// The student's preprocessing as the user gives it (<c>--student-size</c>, <c>--student-channels</c>,
/// <c>--student-mean</c>, <c>--student-std</c>, … or a recipe's <c>student_input</c>): each field set overrides the
/// default that <see cref="StudentPreprocess.Resolve"/> derives from the teacher and the preset; unset fields follow it.
/// </summary>
public sealed record StudentInput
{
    /// <summary>Square side in pixels (height = width); <see cref="Height"/>/<see cref="Width"/> for non-square.</summary>
    public int? Size { get; init; }
    public int? Height { get; init; }
    public int? Width { get; init; }
    public int? Channels { get; init; }
    public ColorMode? Color { get; init; }
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    public ResizeMethod? Resize { get; init; }
    public float? CropFraction { get; init; }

    [System.Text.Json.Serialization.JsonIgnore] public bool IsEmpty => this == new StudentInput() || (Size is null && Height is null && Width is null && Channels is null && Color is null
        && Mean is null && Std is null && Resize is null && CropFraction is null);

    public void Validate()
    {
        if (Size is < 1 || Height is < 1 || Width is < 1) throw new EdgeException("--student-size must be a positive number of pixels");
        if (Size is not null && (Height is not null || Width is not null))
            throw new EdgeException("student_input: give size (square) or height and width, not both");
        if (Channels is not (null or 1 or 3)) throw new EdgeException($"--student-channels must be 1 or 3, got {Channels}");
    }

}

/// <summary>Works out the student's <see cref="PreprocessSpec"/>.</summary>
public static class StudentPreprocess
{
    /// <summary>
    /// Default: the (first) teacher's spec — same size, colour, resize, crop and normalisation — except that the size is
    /// the preset's native one when the teacher's does not fit the preset (<paramref name="fits"/>), and that a change of
    /// channel count carries the normalisation over (three channels' mean for a gray student of an RGB teacher, the
    /// one value thrice for an RGB student of a gray teacher). Then each field of <paramref name="input"/> that is set.
    /// </summary>
    public static PreprocessSpec Resolve(StudentInput input, PreprocessSpec teacher, int presetChannels, int presetSize, Func<int, int, bool> fits)
    {
        int channels = input.Channels ?? teacher.Channels;
        int height = input.Size ?? input.Height ?? teacher.Height, width = input.Size ?? input.Width ?? teacher.Width;
        if (input.Size is null && input.Height is null && input.Width is null && !(teacher.Height == teacher.Width && fits(channels, teacher.Height)))
            height = width = presetSize;
        ColorMode? color = input.Color ?? (channels == teacher.Channels ? teacher.Color : channels == 1 ? null : teacher.EffectiveColor == ColorMode.Gray ? ColorMode.Gray : null);
        var spec = new PreprocessSpec
        {
            Channels = channels, Height = height, Width = width, Color = color,
            Resize = input.Resize ?? teacher.Resize, CropFraction = input.CropFraction ?? teacher.CropFraction,
            Mean = Fit(input.Mean ?? teacher.Mean, channels), Std = Fit(input.Std ?? teacher.Std, channels),
        };
        spec.Validate();
        return spec;
    }

    private static float[] Fit(float[] values, int channels) =>
        values.Length == channels ? values
        : channels == 1 ? [values.Average()]
        : values.Length == 1 ? [values[0], values[0], values[0]]
        : throw new EdgeException($"student mean/std has {values.Length} values but the student has {channels} channel(s)");
}

using System.Text.Json.Serialization;
using Edge.Core;

namespace Edge.Distill.Models;

/// <summary>
/// What every student family's config shares: the family it belongs to, the input it takes (square images), the class
/// count, validation and JSON. Each family derives its own typed record (<see cref="TinyVitConfig"/>,
/// <see cref="EfficientNetConfig"/>, <see cref="MobileNetV3Config"/>, <see cref="SimpleCnnConfig"/>) with the fields of
/// its architecture; callers that only route images and logits (trainer, teachers, packager) read this base.
/// </summary>
public abstract record StudentConfig
{
    protected StudentConfig(string family) => Family = family;

    /// <summary>Family name as the registry lists it ("tinyvit", "efficientnet", "mobilenetv3", "simple-cnn").
    /// <see cref="ToJson"/> writes it first so a config file says what it is for; reading checks it, never sets it.</summary>
    [JsonIgnore]
    public string Family { get; }

    [JsonPropertyOrder(-3)]
    public int ImageSize { get; init; } = 224;
    [JsonPropertyOrder(-2)]
    public int InChannels { get; init; } = 3;
    [JsonPropertyOrder(-1)]
    public int NumClasses { get; init; } = 1000;

    /// <summary>The same architecture predicting <paramref name="numClasses"/> classes (a new head).</summary>
    public StudentConfig WithClasses(int numClasses) => (this with { NumClasses = numClasses }).Validate();

    /// <summary>
    /// The same architecture on another input. Throws <see cref="EdgeException"/> naming the field when the
    /// architecture cannot take that input (see each family's <see cref="CheckInput"/>).
    /// </summary>
    public StudentConfig WithInput(int channels, int imageSize)
    {
        var moved = this with { InChannels = channels, ImageSize = imageSize };
        moved.Validate();
        moved.CheckInput();
        return moved;
    }

    /// <summary>Throws <see cref="EdgeException"/> naming the first inconsistent field; returns the config itself.</summary>
    public abstract StudentConfig Validate();

    /// <summary>
    /// Whether the architecture makes sense at <see cref="ImageSize"/> beyond being computable (e.g. a TinyViT window
    /// wider than its stage's map, a stride-2 layer that only sees a 1x1 map). <see cref="WithInput"/> calls it; a
    /// config built field by field may still choose otherwise.
    /// </summary>
    protected virtual void CheckInput() { }

    /// <summary>One line for messages: input, classes and the family's shape.</summary>
    public virtual string Summary() => $"{Family}, {InChannels}x{ImageSize}x{ImageSize}, {NumClasses} classes";

    /// <summary>The config as indented camelCase JSON, <see cref="Family"/> first; <see cref="StudentRegistry.ParseConfig"/> reads it back.</summary>
    public string ToJson() => StudentConfigJson.Write(this);

    /// <summary>Validation helper for the family records: positive input and class counts.</summary>
    protected void ValidateInput(string label)
    {
        if (ImageSize <= 0 || InChannels <= 0 || NumClasses <= 0)
            throw new EdgeException($"Invalid {label} config: ImageSize, InChannels and NumClasses must be positive (got {ImageSize}, {InChannels}, {NumClasses}).");
    }
}

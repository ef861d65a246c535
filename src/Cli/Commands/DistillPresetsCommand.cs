using System.CommandLine;
using System.Globalization;
using Edge.Distill.Models;

namespace Edge.Cli.Commands;

/// <summary>
/// <c>edge distill presets</c>: every student preset, by family, with the parameter count of the model it actually
/// builds, next to the paper's count where there is one, so a user can check the architecture before a long run
/// (TinyViT 5M/11M/21M, EfficientNet-B0, MobileNetV3-Large/-Small within 2% of their papers). Counting builds each
/// model once on the CPU.
/// </summary>
public sealed class DistillPresetsCommand : ICliCommand
{
    public Command Build()
    {
        var command = new Command("presets", "List the student presets with their parameter counts (and the paper's, where published)");
        command.SetAction(parse =>
        {
            var writer = parse.InvocationConfiguration.Output;
            writer.WriteLine($"{"preset",-22} {"family",-12} {"parameters",12} {"paper",12} {"diff",8}  description");
            foreach (var name in StudentRegistry.Families.SelectMany(f => StudentRegistry.Names.Where(n => StudentRegistry.FamilyOf(n) == f)))
            {
                long count;
                using (var model = StudentRegistry.Create(name)) count = model.ParameterCount;
                long? reference = StudentRegistry.ReferenceParameters(name);
                string paper = reference is long r ? r.ToString("N0", CultureInfo.InvariantCulture) : "-";
                string diff = reference is long p ? ((count - p) * 100.0 / p).ToString("+0.00;-0.00", CultureInfo.InvariantCulture) + "%" : "";
                writer.WriteLine($"{name,-22} {StudentRegistry.FamilyOf(name).Name,-12} {count.ToString("N0", CultureInfo.InvariantCulture),12} {paper,12} {diff,8}  {StudentRegistry.Describe(name)}");
            }
            return 0;
        });
        return command;
    }
}

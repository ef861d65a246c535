namespace Edge.Core.Evaluation;

/// <summary>
/// Maps a model's output indices to the evaluation set's classes by label name, so a model whose labels are listed
/// in another order is still scored correctly, and one whose labels are misnamed or shifted is scored as it would
/// behave in production (wrongly). Models without labels are assumed to use the evaluation set's order.
/// </summary>
public static class ClassMapping
{
    /// <summary>For each model output index, the evaluation-set class index.</summary>
    public static int[] Build(IReadOnlyList<string>? modelLabels, int modelClasses, IReadOnlyList<string> classes, string modelName, string setName)
    {
        if (modelLabels is null)
        {
            if (modelClasses != classes.Count)
                throw new EdgeException($"{modelName} outputs {modelClasses} classes but {setName} has {classes.Count} ({Preview(classes)}): the evaluation set does not match the model");
            return Enumerable.Range(0, modelClasses).ToArray();
        }
        var index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int c = 0; c < classes.Count; c++) index.TryAdd(Normalize(classes[c]), c);
        var missing = modelLabels.Where(l => !index.ContainsKey(Normalize(l))).ToArray();
        var modelSet = new HashSet<string>(modelLabels.Select(Normalize), StringComparer.OrdinalIgnoreCase);
        var extra = classes.Where(c => !modelSet.Contains(Normalize(c))).ToArray();
        if (modelLabels.Count != classes.Count || missing.Length > 0 || extra.Length > 0 || modelSet.Count != modelLabels.Count)
        {
            string detail = missing.Length > 0 || extra.Length > 0
                ? $"model-only classes [{Preview(missing)}], evaluation-set-only classes [{Preview(extra)}]"
                : $"{modelLabels.Count} labels vs {classes.Count} classes";
            throw new EdgeException($"the classes of {setName} do not match {modelName}: {detail}; evaluate on a dataset with the model's classes");
        }
        return modelLabels.Select(l => index[Normalize(l)]).ToArray();
    }

    /// <summary>Reorders logits [count, classes] from model order to evaluation-set order.</summary>
    public static float[] Apply(float[] logits, int count, int[] mapping)
    {
        int k = mapping.Length;
        bool identity = mapping.Select((m, i) => m == i).All(x => x);
        if (identity) return logits;
        var result = new float[count * k];
        for (int i = 0; i < count; i++)
            for (int j = 0; j < k; j++)
                result[i * k + mapping[j]] = logits[i * k + j];
        return result;
    }

    private static string Normalize(string label) => label.Trim();

    private static string Preview(IEnumerable<string> names)
    {
        var list = names.ToList();
        return string.Join(", ", list.Take(6)) + (list.Count > 6 ? $", … ({list.Count} in all)" : "");
    }
}

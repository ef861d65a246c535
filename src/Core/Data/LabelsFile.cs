namespace Edge.Core.Data;

/// <summary>
/// Class labels given by the user: <c>--labels FILE</c> or <c>--labels "a,b,c"</c>. A file holds one entry per line
/// (blank lines and lines starting with # are skipped): a bare <c>label</c> is the next class index, and
/// <c>key=label</c> maps a dataset key (an IDX class index, or an image folder's subfolder name) to the model's
/// label, so a class named "T-shirt/top" can live in a folder named <c>tshirt</c>.
/// </summary>
public static class LabelsFile
{
    /// <summary>A labels file's full path when <paramref name="text"/> names one (from the working folder or inside the
    /// dataset folder), else the text itself (a comma-separated list).</summary>
    public static string Locate(string text, string datasetFolder) =>
        File.Exists(text) ? Path.GetFullPath(text)
        : File.Exists(Path.Combine(datasetFolder, text)) ? Path.Combine(datasetFolder, text)
        : text;

    /// <summary>The labels in class-index order, for IDX files or any dataset whose classes are indices.</summary>
    public static IReadOnlyList<string> Parse(string labelsOrFile, string? relativeTo = null)
    {
        var entries = Entries(labelsOrFile, relativeTo, out string where);
        var result = new List<string>();
        foreach (var (key, label, line) in entries)
        {
            if (key is null) { result.Add(label); continue; }
            if (!int.TryParse(key, out int index) || index < 0)
                throw new EdgeException($"{where} line {line}: '{key}={label}' maps a name, but these classes are numbered; write 'INDEX=label' or one label per line");
            while (result.Count <= index) result.Add("");
            result[index] = label;
        }
        int hole = result.FindIndex(l => l.Length == 0);
        if (hole >= 0) throw new EdgeException($"{where} gives no label for class {hole}; list every class from 0 on");
        CheckUnique(result, where);
        return result;
    }

    /// <summary>The label of each of an image folder's subfolders: a mapping line where there is one, else, when the
    /// source lists bare labels, that list must name the folders themselves (in any order).</summary>
    public static IReadOnlyList<string> MapFolders(string labelsOrFile, IReadOnlyList<string> folders, string datasetRoot)
    {
        var entries = Entries(labelsOrFile, datasetRoot, out string where);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var bare = new List<string>();
        foreach (var (key, label, _) in entries)
        {
            if (key is null) bare.Add(label);
            else map[key] = label;
        }
        var result = new List<string>();
        foreach (var folder in folders)
        {
            if (map.TryGetValue(folder, out var label)) result.Add(label);
            else if (bare.Contains(folder, StringComparer.Ordinal)) result.Add(folder);
            else
                throw new EdgeException($"{where} has no label for class folder '{folder}' of {datasetRoot}; add a line '{folder}=LABEL' (the model's name for that class)");
        }
        var unknown = map.Keys.Where(k => !folders.Contains(k, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
            throw new EdgeException($"{where} maps folder(s) {string.Join(", ", unknown.Take(5))} that {datasetRoot} does not have (its classes: {string.Join(", ", folders.Take(8))}{(folders.Count > 8 ? ", …" : "")}); fix the folder names in the file");
        CheckUnique(result, where);
        return result;
    }

    private static List<(string? Key, string Label, int Line)> Entries(string labelsOrFile, string? relativeTo, out string where)
    {
        string? file = Resolve(labelsOrFile, relativeTo);
        var entries = new List<(string?, string, int)>();
        if (file is null)
        {
            where = $"--labels '{labelsOrFile}'";
            foreach (var name in labelsOrFile.Split(',')) entries.Add((null, name.Trim(), 0));
            if (entries.Any(e => e.Item2.Length == 0)) throw new EdgeException($"{where} has an empty class name; separate the names with commas");
            return entries;
        }
        where = $"labels file {file}";
        var lines = File.ReadAllLines(file);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int eq = line.IndexOf('=');
            if (eq < 0) entries.Add((null, line, i + 1));
            else
            {
                string key = line[..eq].Trim(), label = line[(eq + 1)..].Trim();
                if (key.Length == 0 || label.Length == 0)
                    throw new EdgeException($"{where} line {i + 1}: '{line}' is not key=label");
                entries.Add((key, label, i + 1));
            }
        }
        if (entries.Count == 0) throw new EdgeException($"{where} lists no labels");
        return entries;
    }

    /// <summary>A path to an existing file (absolute, from the working folder, or inside the dataset), else null: a list.</summary>
    private static string? Resolve(string text, string? relativeTo)
    {
        if (File.Exists(text)) return Path.GetFullPath(text);
        if (relativeTo is not null && File.Exists(Path.Combine(relativeTo, text))) return Path.Combine(relativeTo, text);
        bool looksLikePath = text.Contains('/') || text.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) || text.EndsWith(".labels", StringComparison.OrdinalIgnoreCase);
        if (looksLikePath && !text.Contains(','))
            throw new EdgeException($"labels file not found: {text} (give an existing file, or the class names separated by commas)");
        return null;
    }

    private static void CheckUnique(IReadOnlyList<string> labels, string where)
    {
        var dup = labels.GroupBy(l => l, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new EdgeException($"{where} gives the label '{dup.Key}' to {dup.Count()} classes; each class needs its own label");
    }
}

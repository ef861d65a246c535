using System.CommandLine;
using Edge.Cli.Commands;
using Edge.Core;

namespace Edge.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        if (HugePageLauncher.ShouldRelaunch())
            return HugePageLauncher.Relaunch(args);
        ExternalLibTorch.LoadIfNeeded();
        return Run(args, Console.Out, Console.Error);
    }

    /// <summary>Parses and runs one command line; the entry point tests use.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Edge: distill a small TinyViT from your teacher, export and quantize it to ONNX, serve it over gRPC, and gate its accuracy against the teacher.");
        foreach (var command in CommandRegistry.Create())
            root.Subcommands.Add(command.Build());

        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                error.WriteLine($"error: {e.Message}");
            string verb = parse.CommandResult.Command == root ? "" : " " + parse.CommandResult.Command.Name;
            error.WriteLine($"run `edge{verb} --help` for usage");
            return 2;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error });
        }
        catch (Exception e) when (Unwrap(e) is EdgeException edge)
        {
            error.WriteLine($"error: {edge.Message}");
            return 2;
        }
        catch (Exception e) when (Unwrap(e) is CheckFailedException failed)
        {
            error.WriteLine($"failed: {failed.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled");
            return 130;
        }
    }

    private static Exception Unwrap(Exception e) =>
        e is AggregateException { InnerExceptions.Count: 1 } agg ? Unwrap(agg.InnerExceptions[0])
        : e is System.Reflection.TargetInvocationException { InnerException: { } inner } ? Unwrap(inner)
        : e.InnerException is EdgeException ie ? ie
        : e;
}

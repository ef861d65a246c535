using Edge.Core;

namespace Edge.Serve;

/// <summary>The standalone server (the container entry point). <c>edge serve</c> starts the same server in-process.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(ServeCommandLine.Usage);
            return 0;
        }
        try
        {
            return await EdgeServer.RunAsync(ServeCommandLine.Parse(args)).ConfigureAwait(false);
        }
        catch (EdgeException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}

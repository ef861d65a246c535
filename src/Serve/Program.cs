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
        // `Edge.Serve --probe URL`: exit 0 when URL answers 2xx. The container HEALTHCHECK uses it, so the image
        // needs no curl or shell.
        if (args is ["--probe", var url])
            return await Probe(url).ConfigureAwait(false);
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

    private static async Task<int> Probe(string url)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            using var response = await http.GetAsync(url).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or UriFormatException or InvalidOperationException)
        {
            Console.Error.WriteLine($"probe {url}: {e.Message}");
            return 1;
        }
    }
}

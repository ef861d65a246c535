using System.Threading.Channels;
using Grpc.Core;

namespace Edge.Serve.Services;

/// <summary>
/// A bidirectional stream served as requests arrive: each request starts at once (up to <c>window</c> in flight, so
/// they share batches), and a writer answers them in request order as soon as each is done, without waiting for
/// the client to send more or to close its side.
/// </summary>
public static class OrderedStream
{
    public static async Task RunAsync<TRequest, TResult>(IAsyncStreamReader<TRequest> requests, Func<TRequest, int, Task<TResult>> start,
        Func<TResult, Task> write, int window, CancellationToken cancellationToken)
    {
        var pending = Channel.CreateBounded<Task<TResult>>(new BoundedChannelOptions(window) { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var task in pending.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                await write(await task.ConfigureAwait(false)).ConfigureAwait(false);
        }, CancellationToken.None);
        int index = 0;
        try
        {
            while (!writer.IsCompleted && await requests.MoveNext(cancellationToken).ConfigureAwait(false))
                await pending.Writer.WriteAsync(start(requests.Current, index++), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            pending.Writer.TryComplete();
            try
            {
                await writer.ConfigureAwait(false);
            }
            finally
            {
                // Observe what the writer never reached (it stopped at an error) so nothing fails unobserved.
                while (pending.Reader.TryRead(out var left))
                    _ = left.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
        }
    }
}

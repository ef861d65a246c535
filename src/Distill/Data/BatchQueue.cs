namespace Edge.Distill.Data;

/// <summary>
/// The streaming loader's prefetch queue: builds up to <c>depth</c> items ahead on worker threads while the consumer
/// works on the current one, and hands them over strictly in order. Each item is a pure function of its input, so the
/// sequence is the same whatever the depth or the number of workers inside <c>build</c>; memory is bounded by
/// <c>depth</c> items in flight.
/// </summary>
public static class BatchQueue
{
    public static IEnumerable<TOut> InOrder<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, TOut> build, int depth, CancellationToken cancel = default)
    {
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth));
        var pending = new Queue<Task<TOut>>();
        using var source = inputs.GetEnumerator();
        try
        {
            while (true)
            {
                while (pending.Count < depth && source.MoveNext())
                {
                    var item = source.Current;
                    pending.Enqueue(Task.Run(() => build(item), cancel));
                }
                if (pending.Count == 0) yield break;
                // GetResult rethrows the builder's own exception (an EdgeException naming a bad image), not an AggregateException.
                yield return pending.Dequeue().GetAwaiter().GetResult();
            }
        }
        finally
        {
            // An abandoned epoch (exception, cancellation) must not leave builders running against disposed state.
            foreach (var t in pending)
                try { t.Wait(); } catch (Exception) { /* the first failure was already surfaced or the loop was abandoned */ }
        }
    }
}

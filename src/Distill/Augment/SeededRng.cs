namespace Edge.Distill.Augment;

/// <summary>
/// SplitMix64: a tiny, fast generator whose stream depends only on its seed (not on the .NET version or the
/// process), so an augmentation can be replayed from a stored per-sample seed.
/// </summary>
public struct SeededRng(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A per-sample seed from the run seed, the epoch and the sample index.</summary>
    public static int SampleSeed(int runSeed, int epoch, int index)
    {
        var rng = new SeededRng(((ulong)(uint)runSeed << 32) ^ ((ulong)(uint)epoch << 20) ^ (uint)index ^ 0x9E3779B97F4A7C15UL);
        return (int)rng.NextUInt64();
    }

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [min, max] inclusive.</summary>
    public int NextInt(int min, int max) => min + (int)(NextUInt64() % (ulong)(max - min + 1));

    public bool NextBool(double p = 0.5) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller; two uniforms per draw so the stream length is fixed).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Gamma(shape, 1) by Marsaglia–Tsang (shape &lt; 1 boosted by U^(1/shape)).</summary>
    public double NextGamma(double shape)
    {
        if (shape < 1) return NextGamma(shape + 1) * Math.Pow(1.0 - NextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x = NextGaussian(), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = 1.0 - NextDouble();
            if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v)) return d * v;
        }
    }

    /// <summary>Beta(alpha, alpha): Mixup/CutMix's mixing weight.</summary>
    public double NextBeta(double alpha)
    {
        double a = NextGamma(alpha), b = NextGamma(alpha);
        return a + b > 0 ? a / (a + b) : 0.5;
    }
}

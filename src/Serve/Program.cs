namespace Edge.Serve;
public static class Program { public static int Main(string[] args) => 0; }

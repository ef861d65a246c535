using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

public class InspectCommandTests
{
    [Fact]
    public void InspectShowsManifestOpsAndParameters()
    {
        var output = new StringWriter();
        int code = Program.Run(["inspect", TestPaths.Teacher], output, new StringWriter());
        string text = output.ToString();
        Assert.Equal(0, code);
        Assert.Contains("fmnist-resnet18", text);
        Assert.Contains("11,1", text);          // 11.17 M parameters
        Assert.Contains("Conv", text);
        Assert.Contains("Ankle boot", text);
    }
}

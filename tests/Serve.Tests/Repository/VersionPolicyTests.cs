using Edge.Core;
using Edge.Serve.Repository;
using Xunit;

namespace Edge.Serve.Tests.Repository;

public sealed class VersionPolicyTests
{
    [Theory]
    [InlineData("latest", new long[] { 5 })]
    [InlineData("latest:2", new long[] { 3, 5 })]
    [InlineData("all", new long[] { 1, 2, 3, 5 })]
    [InlineData("specific:2,5,9", new long[] { 2, 5 })]
    public void Selects_versions(string policy, long[] expected) =>
        Assert.Equal(expected, VersionPolicy.Parse(policy).Select([3, 1, 5, 2]));

    [Theory]
    [InlineData("newest")]
    [InlineData("latest:0")]
    [InlineData("specific:a")]
    public void Rejects_unknown_policies_with_the_accepted_forms(string policy)
    {
        var e = Assert.Throws<EdgeException>(() => VersionPolicy.Parse(policy));
        Assert.Contains(policy.Split(':')[0] == "newest" ? "latest, latest:N, all or specific" : policy, e.Message);
    }

    [Theory]
    [InlineData("fmnist", true)]
    [InlineData("resnet-18_v2.int8", true)]
    [InlineData("..", false)]
    [InlineData("a..b", false)]
    [InlineData("../x", false)]
    [InlineData("a/b", false)]
    [InlineData(".hidden", false)]
    [InlineData("", false)]
    public void Model_names_are_plain(string name, bool valid) => Assert.Equal(valid, RepositoryLayout.IsValidModelName(name));
}

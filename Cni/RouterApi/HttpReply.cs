namespace Weave.Cni.RouterApi;

/// <summary>One HTTP answer from the router: its status code and text body.</summary>
public sealed record HttpReply(int Status, string Body)
{
    public bool Ok => Status is >= 200 and < 300;

    /// <summary>The body's first line, for messages.</summary>
    public string Reason => Body.Split('\n', 2)[0].Trim();
}

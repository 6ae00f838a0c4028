using System.Text;
using Weave.Npc;
using Weave.Npc.Enforcement;

namespace Weave.Router.Policy;

/// <summary>
/// What <c>weave npc explain</c> prints: the decision with the policies and rules behind it
/// (<see cref="FlowExplanation"/>), then where it is enforced: for an end that is a pod of this
/// node isolated in that direction, the chain that decides and its drop counter.
/// </summary>
internal static class ExplainText
{
    public static string Render(FlowExplanation explanation, EnforcementPlan? plan, string node, DropTally drops)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentNullException.ThrowIfNull(drops);
        var text = new StringBuilder(explanation.ToString()).Append('\n');
        Where(text, FlowDirection.Egress, explanation.Flow.Source, plan, node, drops);
        Where(text, FlowDirection.Ingress, explanation.Flow.Destination, plan, node, drops);
        return text.ToString();
    }

    private static void Where(StringBuilder text, FlowDirection direction, FlowEndpoint end, EnforcementPlan? plan, string node, DropTally drops)
    {
        string name = direction == FlowDirection.Egress ? "egress" : "ingress";
        if (end.PolicyPod is not { } pod)
        {
            return;
        }
        if (pod.NodeName != node)
        {
            text.Append("  ").Append(name).Append(" of ").Append(pod.Key).Append(" is enforced on node ")
                .Append(pod.NodeName.Length == 0 ? "(not scheduled yet)" : pod.NodeName).Append(", not here\n");
            return;
        }
        PodChain? chain = plan?.Chains.Values.FirstOrDefault(c => c.Direction == direction && c.Pod.Key == pod.Key);
        if (chain is null)
        {
            text.Append("  ").Append(name).Append(" of ").Append(pod.Key).Append(" on this node: no chain (not isolated)\n");
            return;
        }
        long denied = drops.ByPod()
            .Where(d => d.Direction == direction && d.Namespace == pod.Namespace && d.Pod == pod.Name).Sum(d => d.Packets);
        text.Append("  ").Append(name).Append(" of ").Append(pod.Key).Append(" on this node: chain ").Append(chain.Name)
            .Append(" in table ").Append(NftRuleset.Family).Append(' ').Append(NftRuleset.Table).Append(", ")
            .Append(chain.Rules.Length).Append(" rule(s), ").Append(denied).Append(" packet(s) denied so far\n");
    }
}

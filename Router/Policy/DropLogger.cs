using System.Net;
using Microsoft.Extensions.Logging;
using Weave.Linux;
using Weave.Linux.Netfilter;
using Weave.Npc;

namespace Weave.Router.Policy;

/// <summary>
/// Logs the packets the policy table drops, as NFLOG hands them over (already limited by the
/// table's <c>drop-log</c> limit): one line each, naming both ends as pods when they are, and the
/// policies that isolate the end whose chain dropped it. Runs on a thread of its own, since the
/// receive blocks; it reads the controller's published snapshot and never touches its state.
/// </summary>
internal sealed class DropLogger
{
    private static readonly TimeSpan s_reopen = TimeSpan.FromSeconds(10);

    private readonly ushort _group;
    private readonly Func<PolicySnapshot> _snapshot;
    private readonly ILogger _log;

    public DropLogger(ushort group, Func<PolicySnapshot> snapshot, ILogger log)
    {
        _group = group;
        _snapshot = snapshot;
        _log = log;
    }

    /// <summary>Starts the reading thread; it ends when <paramref name="ct"/> fires.</summary>
    public void Start(CancellationToken ct)
    {
        var thread = new Thread(() => Run(ct)) { IsBackground = true, Name = "weave-npc drop log" };
        thread.Start();
    }

    private void Run(CancellationToken ct)
    {
        var packets = new LoggedPacket[64];
        bool reported = false;
        while (!ct.IsCancellationRequested)
        {
            NflogSocket socket;
            try
            {
                socket = NflogSocket.Open(_group);
                reported = false;
            }
            catch (LinuxError e)
            {
                // EPERM while a previous weave-npc still holds the group during a restart.
                if (!reported)
                {
                    NpcLog.DropLogUnavailable(_log, _group, e.Message);
                    reported = true;
                }
                ct.WaitHandle.WaitOne(s_reopen);
                continue;
            }
            using (socket)
            using (ct.Register(socket.Dispose))
            {
                try
                {
                    while (true)
                    {
                        int count = socket.Receive(packets, -1);
                        PolicySnapshot snapshot = _snapshot();
                        for (int i = 0; i < count; i++)
                        {
                            NpcLog.Denied(_log, Describe(packets[i], snapshot));
                        }
                    }
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (LinuxError e)
                {
                    NpcLog.DropLogUnavailable(_log, _group, e.Message);
                }
            }
        }
    }

    /// <summary>
    /// <c>TCP y/client (10.32.0.5):40312 -> x/db (10.32.0.3):5432 dropped at ingress of x/db,
    /// isolated by x/deny-all</c>. The prefix is the dropping chain's name (in.NS.POD or eg.NS.POD).
    /// </summary>
    internal static string Describe(LoggedPacket packet, PolicySnapshot snapshot)
    {
        PolicyEngine engine = snapshot.Engine;
        FlowEndpoint source = engine.Endpoint(packet.Source);
        FlowEndpoint destination = engine.Endpoint(packet.Destination);
        bool ingress = packet.Prefix.StartsWith("in.", StringComparison.Ordinal);
        FlowEndpoint dropping = ingress ? destination : source;
        string protocol = packet.Protocol == LoggedProtocol.Other ? "protocol " + packet.ProtocolNumber : packet.Protocol.ToString().ToUpperInvariant();
        string where = dropping.PolicyPod is { } pod
            ? $"{(ingress ? "ingress" : "egress")} of {pod.Key}, isolated by {string.Join(", ", engine.IsolatingPolicies(pod, ingress ? FlowDirection.Ingress : FlowDirection.Egress).Select(p => p.Key))}"
            : $"chain {packet.Prefix} (its pod is gone)";
        return packet.HasPorts
            ? $"{protocol} {End(source, packet.SourcePort)} -> {End(destination, packet.DestinationPort)} dropped at {where}"
            : $"{protocol} {source} -> {destination} dropped at {where}";
    }

    private static string End(FlowEndpoint end, ushort port) =>
        end.Pod is null ? new IPEndPoint(end.Address, port).ToString() : $"{end}:{port}";
}

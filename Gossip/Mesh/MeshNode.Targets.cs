using Weave.Gossip.Topology;

namespace Weave.Gossip.Mesh;

/// <summary>
/// The connection maker: keeps dialling direct targets (command line, <c>weave connect</c>) and,
/// with discovery on, the peers others' records show that we are not connected to, so the mesh
/// becomes fully connected. Failures back off with jitter; a target counts as connected when a
/// link to its address (or from its host) exists, so two routers that list each other settle on
/// one connection. <see cref="IMeshTransport.Dial"/> must not call back synchronously.
/// </summary>
public sealed partial class MeshNode
{
    /// <summary>Targets by address (<c>host:port</c>).</summary>
    private readonly Dictionary<string, Target> _targets = [];

    /// <summary>Hosts and dialled addresses of current links, rebuilt when links change.</summary>
    private readonly HashSet<string> _linkedEndpoints = [];

    public void Connect(IEnumerable<PeerAddress> addresses, bool replace)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var keys = new HashSet<string>();
        DateTimeOffset now = _time.GetUtcNow();
        foreach (PeerAddress address in addresses)
        {
            string key = address.ToString();
            keys.Add(key);
            if (_targets.TryGetValue(key, out Target? target))
            {
                target.Direct = true;
                target.Fatal = null;
            }
            else
            {
                _targets[key] = new Target(address, NewBackoff()) { Direct = true, NextAttempt = now };
            }
        }
        if (replace)
        {
            foreach (Target target in _targets.Values.Where(t => t.Direct && !keys.Contains(t.Key)).ToList())
            {
                Unset(target, direct: true);
            }
        }
    }

    /// <summary>Stops dialling these direct targets; existing connections stay (as in Weave).</summary>
    public void Forget(IEnumerable<PeerAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        foreach (PeerAddress address in addresses)
        {
            if (_targets.TryGetValue(address.ToString(), out Target? target))
            {
                Unset(target, direct: true);
            }
        }
    }

    private void Unset(Target target, bool direct)
    {
        if (direct)
        {
            target.Direct = false;
        }
        else
        {
            target.Discovered = false;
        }
        if (!target.Direct && !target.Discovered && !target.Attempting)
        {
            _targets.Remove(target.Key);
        }
    }

    private Backoff NewBackoff() => new(_random, _options.InitialRetryDelay, _options.MaximumRetryDelay);

    private bool IsConnected(Target target) =>
        _linkedEndpoints.Contains(target.Key) || _linkedEndpoints.Contains(target.Address.Host);

    private void RebuildLinkIndex()
    {
        _linkedEndpoints.Clear();
        foreach (Link link in _links.Values)
        {
            if (link.Connection.Outbound)
            {
                _linkedEndpoints.Add(link.Connection.RemoteAddress);
            }
            if (PeerAddress.TryParse(link.Connection.RemoteAddress, _options.Port, out PeerAddress? remote, out _))
            {
                _linkedEndpoints.Add(remote.Host);
            }
        }
    }

    /// <summary>A direct target is not dialled for now, and why (the connection limit); raised once per hold.</summary>
    public event Action<PeerAddress, string>? DialHeldBack;

    /// <summary>
    /// Dials the targets that are due, within the connection limit: dials in flight count as
    /// connections (each may become one), and discovered peers stop one short of the limit, so a
    /// newcomer dialling us finds a slot (a full mesh of up to the limit's peers still forms).
    /// </summary>
    private void DialDueTargets(DateTimeOffset now)
    {
        int limit = _options.ConnectionLimit;
        int busy = limit > 0 ? _links.Count + _targets.Values.Count(t => t.Attempting) : 0;
        foreach (Target target in _targets.Values)
        {
            if (target.Attempting || target.Fatal is not null || target.NextAttempt > now || IsConnected(target))
            {
                continue;
            }
            if (limit > 0 && busy >= (target.Direct ? limit : limit - 1))
            {
                HoldBack(target, now, $"connection limit {limit} reached");
                continue;
            }
            target.Attempting = true;
            busy++;
            _transport.Dial(target.Address);
        }
    }

    private void HoldBack(Target target, DateTimeOffset now, string reason)
    {
        target.NextAttempt = now + _options.InitialRetryDelay;
        if (target.LastError == reason)
        {
            return;
        }
        target.LastError = reason;
        if (target.Direct)
        {
            DialHeldBack?.Invoke(target.Address, reason);
        }
    }

    private DateTimeOffset NextTargetDeadline()
    {
        DateTimeOffset next = DateTimeOffset.MaxValue;
        foreach (Target target in _targets.Values)
        {
            if (!target.Attempting && target.Fatal is null && target.NextAttempt < next && !IsConnected(target))
            {
                next = target.NextAttempt;
            }
        }
        return next;
    }

    public void OnDialFailed(PeerAddress address, string error)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!_targets.TryGetValue(address.ToString(), out Target? target))
        {
            return;
        }
        target.Attempting = false;
        Retry(target, error);
    }

    private void Retry(Target target, string error)
    {
        target.FailedBefore = true;
        target.LastError = error;
        target.NextAttempt = _time.GetUtcNow() + target.Backoff.Next();
        if (!target.Direct && !target.Discovered)
        {
            _targets.Remove(target.Key);
        }
    }

    private void OnOutboundAccepted(IMeshConnection connection)
    {
        RebuildLinkIndex();
        if (connection.Outbound && _targets.TryGetValue(connection.RemoteAddress, out Target? target))
        {
            target.Attempting = false;
            target.LastError = null;
        }
    }

    private void OnOutboundRefused(IMeshConnection connection, Refusal refusal)
    {
        if (!connection.Outbound || !_targets.TryGetValue(connection.RemoteAddress, out Target? target))
        {
            return;
        }
        target.Attempting = false;
        if (refusal.Fatal)
        {
            // Ourselves, or a peer with our name: dialling again cannot help.
            target.Fatal = refusal.Reason;
            target.LastError = refusal.Reason;
            return;
        }
        Retry(target, refusal.Reason);
    }

    private void OnOutboundClosed(Link link, string reason)
    {
        RebuildLinkIndex();
        IMeshConnection connection = link.Connection;
        if (!connection.Outbound || !_targets.TryGetValue(connection.RemoteAddress, out Target? target))
        {
            return;
        }
        if (_time.GetUtcNow() - link.Since >= _options.StableConnection)
        {
            target.Backoff.Reset();
        }
        Retry(target, reason);
    }

    /// <summary>
    /// With discovery on, every known peer we have no link to, and whose cluster we admit, becomes
    /// a target: at the address a peer dialled it on, or else at its source address with the mesh
    /// port (as Weave did).
    /// Discovered targets whose peer is gone or linked are dropped.
    /// </summary>
    private void UpdateDiscoveredTargets()
    {
        if (!_options.Discovery)
        {
            return;
        }
        var wanted = new Dictionary<string, (PeerAddress Address, PeerName Peer)>();
        var candidates = new Dictionary<PeerName, PeerAddress>();
        foreach (PeerRecord record in _topology.Records.OrderBy(r => r.Name))
        {
            foreach (ConnectionSummary connection in record.Connections)
            {
                PeerName remote = connection.Remote;
                // A peer whose cluster we would refuse is not dialled: both ends would only
                // refuse, again and again. It stays reachable through others all the same.
                if (remote == Self.Name || _links.ContainsKey(remote) || !_topology.TryGet(remote, out PeerRecord? known) ||
                    !ClusterAdmission.Admits(Self.Cluster, known.Cluster, _options.PeerClusters, out _))
                {
                    continue;
                }
                if (!PeerAddress.TryParse(connection.RemoteAddress, _options.Port, out PeerAddress? address, out _))
                {
                    continue;
                }
                if (!connection.Outbound)
                {
                    address = address with { Port = _options.Port };
                }
                // A dialled address beats a source address with a guessed port.
                if (connection.Outbound || !candidates.ContainsKey(remote))
                {
                    candidates[remote] = address;
                }
            }
        }
        foreach (var (peer, address) in candidates)
        {
            wanted[address.ToString()] = (address, peer);
        }
        foreach (Target target in _targets.Values.Where(t => t.Discovered && !wanted.ContainsKey(t.Key)).ToList())
        {
            Unset(target, direct: false);
        }
        DateTimeOffset now = _time.GetUtcNow();
        foreach (var (key, (address, peer)) in wanted)
        {
            if (_targets.TryGetValue(key, out Target? target))
            {
                target.Discovered = true;
            }
            else
            {
                // Spread the first dials so a join does not make every peer dial at once. Two
                // peers discover each other at about the same time, and if both dialled, one of
                // the two connections would be refused or replaced as a duplicate: a handshake
                // and a data path set up for nothing, at both ends. The lower name dials first;
                // the other dials only if no link came within a retry delay (the lower one may
                // not be able to reach it).
                TimeSpan spread = _options.UpdateDelay * _random.NextDouble();
                _targets[key] = new Target(address, NewBackoff())
                {
                    Discovered = true,
                    NextAttempt = now + spread + (Self.Name < peer ? TimeSpan.Zero : _options.InitialRetryDelay),
                };
            }
        }
    }

    /// <summary>Why a connection was refused; fatal ones are never retried.</summary>
    private sealed record Refusal(string Reason, bool Fatal);

    /// <summary>A peer address we keep dialling, and where that stands.</summary>
    private sealed class Target(PeerAddress address, Backoff backoff)
    {
        public PeerAddress Address { get; } = address;
        public string Key { get; } = address.ToString();
        public Backoff Backoff { get; } = backoff;
        public bool Direct { get; set; }
        public bool Discovered { get; set; }
        public bool Attempting { get; set; }
        public bool FailedBefore { get; set; }
        public DateTimeOffset NextAttempt { get; set; }
        public string? LastError { get; set; }

        /// <summary>Set when connecting can never succeed (ourselves, a name collision).</summary>
        public string? Fatal { get; set; }
    }
}

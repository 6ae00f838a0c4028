#!/usr/bin/env bash
# bench/npc: NetworkPolicy enforcement. 1) The controller (weave npc's PolicyController, in process,
# fed as its followers feed it) over a synthetic cluster (default 1,000 pods, 200 policies, 10
# nodes), writing table inet weave-npc with the real nft in a lab namespace: time from an update
# (policy added, pod added, pod relabelled, policy deleted) to the rules in place, against a whole
# table replace in the same run; its managed memory. 2) Two pods on a bridge with br_netfilter:
# iperf3 throughput and new TCP connections per second with no table, then with 500 policies
# isolating the server (its chain's 500 distinct rules, the client's match last), alternated.
# Options pass through: ./run.sh --pods 1000 --policies 200 --events 20 --throughput-policies 500
# --seconds 5 --rounds 3. Needs root. Prints Markdown tables for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "npc: must be run as root (the lab creates network namespaces)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
command -v iperf3 >/dev/null || apt-get install -y -qq --no-install-recommends iperf3 >/dev/null
command -v nft >/dev/null || apt-get install -y -qq --no-install-recommends nftables >/dev/null
dotnet build NpcBench.csproj -c Release -nologo -v q >/dev/null
exec dotnet bin/Release/net10.0/linux-x64/NpcBench.dll "$@"

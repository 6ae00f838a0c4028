#!/usr/bin/env bash
# bench/soak: 5 real routers (out/weave) in lab namespaces, one IPAM ring, clients allocating and
# freeing over each router's HTTP API, and for the whole run a fault every 20 s starting or ending
# (a router killed with SIGKILL then restarted, or the underlay between two hosts cut then healed).
# Each minute the clients pause and every router's allocations are checked against what was
# acknowledged: no address held twice, none lost, none freed and back; the first router (never
# killed) has its RSS and open files sampled. Options pass through:
#   ./run.sh --minutes 30 --seed 1 --routers 5 --held 100 --ops 10 --fault-seconds 20 --check-seconds 60
# Needs root. Prints a Markdown table for bench/README.md; exits 1 on any violation.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "soak: must be run as root (the lab creates network namespaces)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [ ! -x ../../out/weave ]; then
  ../../build.sh
fi
dotnet build SoakBench.csproj -c Release -nologo -v q >/dev/null
exec dotnet bin/Release/net10.0/linux-x64/SoakBench.dll "$@"

#!/usr/bin/env bash
# bench/ipam: IP allocation over the router's HTTP API, with real routers (out/weave) in lab
# namespaces. 1) one host: N sequential POST /ip/{id}, then N with C concurrent clients, then
# DELETE of all of them (C concurrent) — requests per second and latency p50/p99; 2) time to the
# first address on a fresh 3-host cluster launched with --ipalloc-init consensus=3 (from the launch
# of the last router until POST /ip on host1 succeeds), repeated R times, median.
# Options pass through: ./run.sh --n 2000 --concurrency 8 --repeats 3 [--baseline PATH-TO-ANOTHER-weave]
# (1 runs first with that build, e.g. main's, then with out/weave: same run, a ratio table). Needs root.
# Prints progress, Markdown tables and a section for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "ipam: must be run as root (the lab creates network namespaces)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [ ! -x ../../out/weave ]; then
  ../../build.sh
fi
dotnet build IpamBench.csproj -c Release -nologo -v q >/dev/null
exec dotnet bin/Release/net10.0/linux-x64/IpamBench.dll "$@"

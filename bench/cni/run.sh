#!/usr/bin/env bash
# bench/cni: ADD+DEL latency per pod of the CNI plugin out/weave-net (against a real router) and of
# Debian's Go plugins bridge + host-local (containernetworking-plugins), on the same lab host, the
# two interleaved pod by pod. Options pass through: ./run.sh --pods 100 --warmup 5. Needs root.
# Prints a Markdown table and a section for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "cni: must be run as root (the lab creates network namespaces)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [ ! -x /usr/lib/cni/bridge ] || [ ! -x /usr/lib/cni/host-local ]; then
  apt-get install -y -qq --no-install-recommends containernetworking-plugins >/dev/null
fi
if [ ! -x ../../out/weave ] || [ ! -x ../../out/weave-net ]; then
  ../../build.sh
fi
dotnet build CniBench.csproj -c Release -nologo -v q >/dev/null
exec dotnet bin/Release/net10.0/linux-x64/CniBench.dll "$@"

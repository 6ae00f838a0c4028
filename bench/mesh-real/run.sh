#!/usr/bin/env bash
# bench/mesh-real: N real routers (default 20) in network-namespace lab hosts, each launched with
# the previous host as its only peer; measures time to full mesh, then idle RSS and CPU over 30 s.
# Options pass through: ./run.sh --n 20 --idle-seconds 30 --timeout-seconds 120. Needs root.
# Prints progress, a Markdown table row and a section for bench/README.md.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
  echo "mesh-real: must be run as root (the lab creates network namespaces)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [ ! -x ../../out/weave ]; then
  ../../build.sh
fi
dotnet build MeshReal.csproj -c Release -nologo -v q >/dev/null
exec dotnet bin/Release/net10.0/linux-x64/MeshReal.dll "$@"

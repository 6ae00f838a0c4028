#!/usr/bin/env bash
# bench/mesh-scale: simulated mesh control-plane cost for N = 50, 100, 250, 500, 1000 (override
# with MESH_SCALE_N=50,100 or pass options through, e.g. ./run.sh --n 50 --steady-minutes 2).
# Prints progress and a Markdown table for bench/README.md. N = 1000 takes several minutes.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build MeshScale.csproj -c Release -nologo -v q >/dev/null
exec dotnet bin/Release/net10.0/linux-x64/MeshScale.dll "$@"

#!/usr/bin/env bash
# Release build of the whole solution, then the router published to out/ (out/weave).
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet build Weave.sln -c Release -nologo
dotnet publish Router/Weave.Router.csproj -c Release -o out --no-build -nologo

test -x out/weave || { echo "build.sh: out/weave was not produced" >&2; exit 1; }
echo "built: $(pwd)/out/weave"

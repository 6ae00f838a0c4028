#!/usr/bin/env bash
# Release build of the whole solution, then the router and the CNI plugin published to out/
# (out/weave, out/weave-net).
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Native AOT links with clang (Debian's package; zlib1g-dev for the runtime's compression).
need=()
command -v clang >/dev/null || need+=(clang)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need+=(zlib1g-dev)
if ((${#need[@]} > 0)); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "build.sh: Native AOT needs ${need[*]}: run sudo apt-get install ${need[*]} (or sudo ./build.sh)" >&2
    exit 1
  fi
  echo "build.sh: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

dotnet build Weave.sln -c Release -nologo
# The router as one native executable (Native AOT, self-contained): no .NET runtime needed on
# the node, a fraction of the memory, no JIT at start.
dotnet publish Router/Weave.Router.csproj -c Release -r linux-x64 --self-contained -o out -nologo

# The CNI plugin, also Native AOT: the runtime starts it for every pod and command.
dotnet publish Cni/Weave.Cni.csproj -c Release -r linux-x64 --self-contained -o out -nologo

for binary in weave weave-net; do
  test -x "out/$binary" || { echo "build.sh: out/$binary was not produced" >&2; exit 1; }
done
echo "built: $(pwd)/out/weave $(pwd)/out/weave-net"

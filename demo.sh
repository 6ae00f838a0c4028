#!/usr/bin/env bash
# The main job: three simulated hosts (network namespaces) with a router and a pod each, the
# mesh's status and a cross-host ping; everything is removed at exit, also on Ctrl-C.
# Usage: sudo ./demo.sh [--verbose]
set -euo pipefail
cd "$(dirname "$0")"

if [[ $EUID -ne 0 ]]; then
  echo "demo.sh: needs root to create network namespaces, bridges and TAP devices: run sudo ./demo.sh" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

missing=()
for p in iproute2 iputils-ping; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "demo.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

demo=Tests/Demo/bin/Release/net10.0/linux-x64/Weave.Demo

# Rebuild when either binary is missing or any source is newer than it.
stale() {
  local binary=$1 dirs=() d
  [[ -x $binary ]] || return 0
  for d in Router Gossip Crypto Ipam Cni Linux Tests/Lab Tests/Demo; do
    [[ -d $d ]] && dirs+=("$d")
  done
  [[ -n $(find "${dirs[@]}" Directory.Build.props Directory.Packages.props \
    \( -name obj -o -name bin \) -prune -o \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) \
    -newer "$binary" -print -quit) ]]
}
if stale out/weave || stale "$demo"; then
  echo "demo.sh: building (./build.sh)"
  ./build.sh >/dev/null || { echo "demo.sh: build failed; run ./build.sh to see why" >&2; exit 1; }
fi

exec "$demo" "$@"

#!/usr/bin/env bash
# bench/dataplane: pod-to-pod across two lab hosts (network namespaces on one underlay bridge),
# first through a Linux kernel VXLAN device per host (the baseline), then through the router
# (out/weave launch on both hosts): iperf3 TCP with 1 and 4 streams (median of 3 runs of 10 s)
# and ping RTT (avg, p50, p99). Prints a Markdown table with router ÷ kernel ratios and a section
# for bench/README.md.
#
# Options pass through: ./run.sh --seconds 10 --runs 3 --streams 4 --pings 100 --ping-interval 0.05
#   --build      run ../../build.sh first even if out/weave exists (it is built when missing)
#   --encrypted  adds a third setup in the same run: the router with --password (sealed data plane),
#                with ratios to kernel VXLAN and to wireguard-go's 3.2 Gbit/s (issue 6)
#   --null-cipher  also (implies --encrypted) a router built from HEAD with null-cipher.patch, in a
#                temporary git worktree: AEGIS-256 copies instead of sealing. A bench-only build,
#                deleted afterwards; it shows how much of the sealed path's cost is the cipher
# Needs root, iperf3 and ping (./test.sh installs them; or apt-get install iperf3 iputils-ping).
set -euo pipefail
cd "$(dirname "$0")"

args=()
build=0
null_cipher=0
for a in "$@"; do
  case "$a" in
    --build) build=1 ;;
    --null-cipher) null_cipher=1 ;;
    *) args+=("$a") ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "dataplane: must be run as root (the lab creates network namespaces)" >&2
  exit 1
fi
for tool in iperf3 ping; do
  if ! command -v "$tool" >/dev/null; then
    # Without ping every setup fails its reachability check with "no ping reply", which misleads.
    echo "dataplane: $tool is missing: run ./test.sh once (it installs the test tools) or apt-get install iperf3 iputils-ping" >&2
    exit 1
  fi
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

weave=../../out/weave
if [ "$build" -eq 1 ] || [ ! -x "$weave" ]; then
  ../../build.sh
else
  # Warn when the router's sources changed after out/weave was published (--build rebuilds).
  dirs=()
  for d in Router Gossip Ipam Linux Crypto; do [ -d "../../$d" ] && dirs+=("../../$d"); done
  newer=$(find "${dirs[@]}" \( -name bin -o -name obj \) -prune -o \( -name '*.cs' -o -name '*.csproj' \) \
    -newer "$weave" -print 2>/dev/null | head -3 || true)
  if [ -n "$newer" ]; then
    echo "dataplane: WARNING: out/weave is older than $(echo "$newer" | tr '\n' ' ')— pass --build to rebuild" >&2
  fi
fi

if ! out=$(dotnet build DataPlaneBench.csproj -c Release -nologo -v q 2>&1); then
  echo "$out" >&2
  echo "dataplane: building the bench failed" >&2
  exit 1
fi

# The null-cipher router: HEAD's sources with null-cipher.patch, published apart from out/.
work=""
remove_work() {
  if [ -n "$work" ]; then
    git -C ../.. worktree remove --force "$work/src" >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
}
trap remove_work EXIT
if [ "$null_cipher" -eq 1 ]; then
  work=$(mktemp -d /tmp/weave-null-cipher.XXXXXX)
  git -C ../.. worktree add -q --detach "$work/src" HEAD
  if ! git -C "$work/src" apply "$PWD/null-cipher.patch"; then
    echo "dataplane: null-cipher.patch no longer applies to HEAD's Crypto/AegisKey.cs: update the patch" >&2
    exit 1
  fi
  echo "dataplane: building the null-cipher router (HEAD $(git -C ../.. rev-parse --short HEAD) + null-cipher.patch)"
  if ! out=$(dotnet publish "$work/src/Router/Weave.Router.csproj" -c Release -r linux-x64 --self-contained -o "$work/out" -nologo 2>&1); then
    echo "$out" >&2
    echo "dataplane: building the null-cipher router failed" >&2
    exit 1
  fi
  args+=(--null-cipher-router "$work/out/weave")
fi
dotnet bin/Release/net10.0/linux-x64/DataPlaneBench.dll ${args[@]+"${args[@]}"}

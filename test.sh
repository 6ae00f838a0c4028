#!/usr/bin/env bash
# The README's test command: installs what the tests need (as root), builds, runs every test
# project (end-to-end ones included), and prints as its last line "N passed, N failed, N skipped".
# Without root the end-to-end tests are skipped with a reason; with CI=true they fail instead.
set -euo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

projects=(
  Tests/Weave.Tests/Weave.Tests.csproj
  Tests/Weave.EndToEnd/Weave.EndToEnd.csproj
  Tests/Weave.Kubernetes/Weave.Kubernetes.csproj
)
# ip(8) builds the lab; ping, iperf3, tcpdump and nft are the end-to-end tests' and debugging's
# tools; ps/pgrep/kill (procps) and fuser/killall (psmisc) inspect what is left behind; Debian's
# CNI plugins (portmap, chained after weave-net; bridge and host-local for bench/cni) and the
# iptables that portmap runs; socat is bench/dataplane's naive TAP↔UDP forwarder (the ping yardstick).
packages=(iproute2 iputils-ping iperf3 tcpdump nftables procps psmisc containernetworking-plugins iptables socat)

started=$(date +%s)

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]} > 0)); then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Namespaces of lab runs (wv<pid>x<n>-...) whose owning process is gone, e.g. a test host killed
# by the hang timeout: kill what runs inside, then delete them. Live runs are left alone.
remove_dead_runs() {
  local ns pid p
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ $ns =~ ^wv([0-9]+)x[0-9]+(-|$) ]] || continue
    pid=${BASH_REMATCH[1]}
    [[ -d /proc/$pid ]] && continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do
      kill -9 "$p" 2>/dev/null || true
    done
    ip netns delete "$ns" 2>/dev/null || true
    echo "test.sh: removed leftover namespace $ns"
  done
}

# The value of a Counters attribute in a TRX file (0 when absent).
counter() {
  local value
  value=$(grep -o "<Counters [^>]*" "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]\+' || true)
  echo "${value:-0}"
}

if [[ $EUID -eq 0 ]]; then
  install_packages
  remove_dead_runs
else
  echo "test.sh: not root: end-to-end tests are skipped (run: sudo ./test.sh)" >&2
fi

# As root the add-on's tests run on a real cluster: its Kubernetes is built from Debian's source
# package once per machine (~10 min, cached in /var/tmp/weave-kube) before any test runs, so the
# hang timeout never meets it; and the add-on's image is built (./build.sh image).
build=(./build.sh)
if [[ $EUID -eq 0 ]]; then
  if ! Tests/KubeLab/build-kubernetes.sh; then
    echo "test.sh: building Kubernetes for the add-on's tests failed"
    echo "0 passed, 1 failed, 0 skipped"
    exit 1
  fi
  build=(./build.sh image)
fi
if ! "${build[@]}"; then
  echo "test.sh: build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

results=TestResults
rm -rf "$results"
mkdir -p "$results"

passed=0 failed=0 skipped=0
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  echo
  echo "=== $name"
  # The hang timeout ends a stuck test host; remove_dead_runs then clears what it left. It is
  # per test: the N = 200 mesh simulation alone takes 1-2 min, more on a loaded machine.
  status=0
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --blame-hang-timeout 8m --blame-hang-dump-type none || status=$?
  trx="$results/$name.trx"
  if [[ ! -f $trx ]]; then
    echo "test.sh: $name produced no results (crashed or did not start)"
    failed=$((failed + 1))
    continue
  fi
  p=$(counter "$trx" passed)
  f=$(( $(counter "$trx" failed) + $(counter "$trx" error) + $(counter "$trx" timeout) + $(counter "$trx" aborted) ))
  s=$(( $(counter "$trx" total) - $(counter "$trx" executed) ))
  # A run that hung or crashed may still show only passed tests in its counters: the test that
  # was running is missing from them. Count the aborted run as a failure of its own.
  if ((f == 0)) && { ((status != 0)) || grep -q '<ResultSummary outcome="Failed"' "$trx"; }; then
    echo "test.sh: $name: the test run was aborted (a test hung or crashed the test host); see above"
    f=1
  fi
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*' "$trx" | grep -o ' testName="[^"]*"' \
    | sed -e 's/ testName="\(.*\)"/  FAILED \1/' -e 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/\&/g' || true
done

if [[ $EUID -eq 0 ]]; then
  remove_dead_runs
fi

echo
echo "test.sh: $(( $(date +%s) - started )) s; results in $results/"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))

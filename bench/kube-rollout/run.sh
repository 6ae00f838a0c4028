#!/usr/bin/env bash
# The add-on's rolling update on a real 2-node cluster (Tests/Weave.Kubernetes/AddOnRollout2Tests):
# pods ping across nodes and on one node 10 times a second while the DaemonSet moves to a new image
# tag; prints each cross-node gap and how long after the new router said it was ready traffic came
# back. Needs root, out/weave-image.tar (sudo ./build.sh image) and the cached Kubernetes build.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $EUID -eq 0 ]] || { echo "run.sh: needs root (namespaces, containerd): sudo $0" >&2; exit 1; }
[[ -f out/weave-image.tar ]] || { echo "run.sh: out/weave-image.tar is missing: sudo ./build.sh image" >&2; exit 1; }
Tests/KubeLab/build-kubernetes.sh >/dev/null
dotnet build Tests/Weave.Kubernetes/Weave.Kubernetes.csproj -c Release -nologo -v quiet >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! dotnet test Tests/Weave.Kubernetes/Weave.Kubernetes.csproj -c Release --no-build --nologo \
  --filter "FullyQualifiedName~AddOnRollout2Tests" --logger "console;verbosity=detailed" >"$log" 2>&1; then
  cat "$log"
  exit 1
fi
echo "$(date -u +%F) $(git rev-parse --short HEAD)"
grep -E '^ (cross-node ping|cross-node gap)' "$log" | sed 's/^ //'

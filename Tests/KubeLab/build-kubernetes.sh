#!/usr/bin/env bash
# Builds the Kubernetes the add-on tests run against: v1.20.2 from Debian bookworm's `kubernetes`
# source package (the upstream tarball with vendor/), compiled with Debian's Go 1.19. No registry
# and no internet beyond Debian's mirror are needed. The binaries are cached, so only the first
# run on a machine pays (~10 min on 2 cores); later runs print the cache and exit.
#
#   Tests/KubeLab/build-kubernetes.sh   install the Debian packages, build what is missing
#
# Output: $WEAVE_KUBE_CACHE/v1.20.2/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,
#         kubelet,kube-proxy,kubectl,pause}   (WEAVE_KUBE_CACHE defaults to /var/tmp/weave-kube)
set -euo pipefail

version=1.20.2
cache=${WEAVE_KUBE_CACHE:-/var/tmp/weave-kube}/v$version
bin=$cache/bin
tarball=kubernetes_1.20.5+really1.20.2.orig.tar.gz
tree=kubernetes-$version
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

say() { echo "build-kubernetes: $*"; }

# What the cluster needs at run time, and what building needs. Debian's reflect2 1.0.2 replaces
# the vendored 1.0.1, which corrupts map iteration under Go >= 1.18.
runtime_packages=(etcd-server etcd-client containerd runc containernetworking-plugins busybox-static
  iproute2 iptables nftables conntrack util-linux openssl procps)
build_packages=(golang-go golang-github-modern-go-reflect2-dev gcc libc6-dev dpkg-dev)

missing_binaries=()
for b in "${binaries[@]}" pause; do
  [[ -x $bin/$b ]] || missing_binaries+=("$b")
done
packages=("${runtime_packages[@]}")
((${#missing_binaries[@]} == 0)) || packages+=("${build_packages[@]}")
missing_packages=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing_packages+=("$p")
done
if ((${#missing_packages[@]} > 0)); then
  say "installing ${missing_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
fi
if ((${#missing_binaries[@]} == 0)); then
  say "cached in $bin"
  exit 0
fi
say "building ${missing_binaries[*]} into $bin"
mkdir -p "$bin" "$cache/src"

# The source: Debian's orig tarball, fetched with apt-get source (deb-src added when absent).
cd "$cache/src"
if [[ ! -d $tree ]]; then
  if [[ ! -f $tarball ]]; then
    if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q "^Version: 1.20"; then
      cat >/etc/apt/sources.list.d/weave-kube-src.sources <<'SOURCES'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
      apt-get update -qq
    fi
    apt-get source --download-only kubernetes >/dev/null
  fi
  say "unpacking $tarball"
  tar xzf "$tarball"
fi

reflect2=$tree/vendor/github.com/modern-go/reflect2
if [[ ! -f $reflect2/go_above_118.go ]]; then
  rm -f "$reflect2"/*.go "$reflect2"/*.s
  cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go \
     /usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$reflect2/"
  rm -f "$reflect2"/*_test.go
fi

# GOPATH mode, as Kubernetes 1.20's own hack/ scripts build: module mode with Go 1.19 refuses the
# vendor tree ("updates to go.mod needed").
export GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0
export GOPATH=$cache/gopath GOCACHE=$cache/gocache
mkdir -p "$GOPATH/src/k8s.io"
ln -sfn "$cache/src/$tree" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"

# The release tarball lacks one generated file that kube-apiserver needs: the OpenAPI
# definitions `make generated_files` would write. Generate it from the same tagged packages.
openapi=pkg/generated/openapi/zz_generated.openapi.go
if [[ " ${missing_binaries[*]} " == *" kube-apiserver "* && ! -f $openapi ]]; then
  say "generating $openapi"
  gen=$cache/gen
  mkdir -p "$gen"
  go build -o "$gen/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
  find -L pkg cmd plugin vendor/k8s.io -maxdepth 8 -type f -name '*.go' ! -name '*_test.go' \
      -not -path 'vendor/k8s.io/code-generator/*' -not -path 'vendor/k8s.io/sample-apiserver/*' \
      -not -path '*/testdata/*' -not -path '*/_examples/*' 2>/dev/null \
    | xargs grep -l '^// *+k8s:openapi-gen=' | xargs -n1 dirname | LC_ALL=C sort -u >"$gen/dirs.txt"
  "$gen/openapi-gen" --logtostderr \
    -i "$(sed 's|^|k8s.io/kubernetes/|' "$gen/dirs.txt" | paste -sd,)" \
    -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
    -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt -r "$gen/violations.report"
fi

ldflags="-s -w"
for p in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  ldflags+=" -X $p.gitVersion=v$version -X $p.gitMajor=1 -X $p.gitMinor=20 -X $p.gitTreeState=clean"
  ldflags+=" -X $p.gitCommit=faecb196815e248d3ecfb03c680a4507229c2a56 -X $p.buildDate=2021-01-13T13:20:00Z"
done
for b in "${missing_binaries[@]}"; do
  [[ $b == pause ]] && continue
  started=$(date +%s)
  go build -p "$(nproc)" -trimpath -ldflags "$ldflags" -o "$bin/$b.tmp" "./cmd/$b"
  mv "$bin/$b.tmp" "$bin/$b"
  say "built $b in $(($(date +%s) - started)) s"
done

# The sandbox ("pause") container's binary, static, for the locally made pause image.
if [[ ! -x $bin/pause ]]; then
  gcc -Os -static -o "$bin/pause.tmp" "$cache/src/$tree/build/pause/linux/pause.c" -DVERSION=3.4.1-weave
  strip "$bin/pause.tmp"
  mv "$bin/pause.tmp" "$bin/pause"
fi

# The build tree and Go's caches are 2-3 GiB and not needed again.
rm -rf "$cache/src/$tree" "$cache/gopath" "$cache/gocache" "$cache/gen"
say "done: $(du -sh "$bin" | cut -f1) in $bin"

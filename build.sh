#!/usr/bin/env bash
# Release build of the whole solution, then the router and the CNI plugin published to out/
# (out/weave, out/weave-net). `./build.sh image` then also builds the add-on's container image
# (Dockerfile) and writes it to out/weave-image.tar, a docker-archive tagged
# localhost/weave:<version> for `ctr images import` (root; needs no Docker engine or registry).
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
  "") image=false ;;
  image) image=true ;;
  *) echo "usage: ./build.sh [image]" >&2; exit 2 ;;
esac

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
[ "$image" = true ] || exit 0

# The image is made with Debian's buildah (local storage, no daemon) on a base that
# deploy/image/base.sh extracts from Debian packages with mmdebstrap; both need root.
if [ "$(id -u)" -ne 0 ]; then
  echo "build.sh: the image needs root (mmdebstrap, buildah's storage): sudo ./build.sh image" >&2
  exit 1
fi
need=()
command -v buildah >/dev/null || need+=(buildah)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
if ((${#need[@]} > 0)); then
  echo "build.sh: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The tag is what the binary says it is ("weave 0.1.0").
version=$(out/weave version)
version=${version#weave }
[[ $version =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || { echo "build.sh: bad version '$version'" >&2; exit 1; }
ref=localhost/weave:$version
tar=out/weave-image.tar

# The base is cached in buildah's storage under a hash of its recipe: it is made again only when
# deploy/image/base.sh changes (or after `buildah rmi localhost/weave-base:latest`, to take in
# Debian's newer packages). Bases of older recipes go, so the storage holds one.
base=localhost/weave-base:$(sha256sum deploy/image/base.sh | cut -c1-16)
if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  buildah images -q --filter reference=localhost/weave-base | sort -u | xargs -r buildah rmi -f >/dev/null
  echo "build.sh: making the base image $base"
  deploy/image/base.sh "$base"
fi
buildah tag "$base" localhost/weave-base:latest # the Dockerfile's default BASE

container=""
cleanup() {
  rm -f "$tar.tmp"
  if [ -n "$container" ]; then
    buildah umount "$container" >/dev/null || true
    buildah rm "$container" >/dev/null || true
  fi
  # out/weave-image.tar is the product: buildah's storage keeps only the base.
  buildah rmi "$ref" >/dev/null 2>&1 || true
}
trap cleanup EXIT
buildah bud --quiet --pull=never --format docker --build-arg BASE="$base" --tag "$ref" . >/dev/null

# A smoke test of what went in: the image's weave runs and says its version, and its binaries and
# libssl (which .NET loads only once it needs TLS) find all their libraries (ld.so fails if not).
container=$(buildah from --quiet --pull=never "$ref")
root=$(buildah mount "$container")
if [ "$(chroot "$root" /usr/local/lib/weave/weave version)" != "weave $version" ]; then
  echo "build.sh: the image's weave does not say 'weave $version'" >&2
  exit 1
fi
for binary in /usr/local/lib/weave/weave /usr/local/lib/weave/weave-net /usr/sbin/nft \
  /usr/lib/x86_64-linux-gnu/libssl.so.3; do
  chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "$binary" >/dev/null
done

# Written under a temporary name and renamed, so out/weave-image.tar is never half a file.
rm -f "$tar.tmp" # docker-archive will not write over a file (a killed run's)
buildah push --quiet "$ref" "docker-archive:$tar.tmp:$ref"
mv -f "$tar.tmp" "$tar"
echo "built: $(pwd)/$tar ($ref, $(du -m "$tar" | cut -f1) MB)"

#!/usr/bin/env bash
# The image's base: a root filesystem of only the Debian 12 packages that the router and the CNI
# plugin need at run time, extracted (not installed: no dpkg, apt or maintainer scripts in the
# image), committed to buildah's local storage as the tag given.
# build.sh names that tag after a hash of this file, so any change here makes a new base.
set -euo pipefail
tag=${1:?usage: deploy/image/base.sh TAG}

packages=(
  libc6     # glibc 2.36: all that out/weave, out/weave-net and out/libsodium.so link (ldd)
  libssl3   # libssl.so.3 + libcrypto.so.3: .NET's SslStream dlopens them to reach the API server
  nftables  # /usr/sbin/nft: the router pipes its rules to `nft -f -` (brings libnftables1 & co)
  netbase   # /etc/services, /etc/protocols: nft reads service names ("ssh") and prints protocols
  busybox   # sh, ls, cat, ps, ping... for `kubectl exec -it POD -- sh`: one 0.8 MB binary
)

work=$(mktemp -d)
container=""
trap 'rm -rf "$work"; [ -z "$container" ] || buildah rm "$container" >/dev/null' EXIT
root=$work/rootfs

# Bookworm with its point and security updates (libssl3's fixes come through the latter). The
# setup hook merges /usr as a bookworm install does (/bin -> usr/bin...): extraction alone would not.
mmdebstrap --quiet --variant=extract --include="$(IFS=,; echo "${packages[*]}")" \
  --setup-hook='for d in bin sbin lib lib64; do mkdir -p "$1/usr/$d"; ln -s "usr/$d" "$1/$d"; done' \
  bookworm "$root" \
  "deb http://deb.debian.org/debian bookworm main" \
  "deb http://deb.debian.org/debian bookworm-updates main" \
  "deb http://deb.debian.org/debian-security bookworm-security main"

cd "$root"
# Out goes what nothing in the container uses: apt and dpkg's scaffolding (nothing is installed
# there), what the runtime provides (/dev, /etc/hostname, /etc/resolv.conf) or only a booted host
# uses (fstab, nftables' unit and config), docs and man pages, glibc's iconv charsets (.NET runs
# with InvariantGlobalization, nft converts nothing) and its vector maths library (linked by none).
rm -rf etc/apt etc/dpkg var/lib/apt var/lib/dpkg var/cache var/log dev/* \
  etc/hostname etc/resolv.conf etc/fstab etc/nftables.conf usr/lib/systemd usr/share/* \
  usr/lib/x86_64-linux-gnu/gconv usr/lib/x86_64-linux-gnu/libmvec.so.1
# busybox's applets as links (Debian's busybox does not find them in its shell by itself).
for applet in $(chroot . /bin/busybox --list-full); do
  if [[ $applet == */* && ! -e $applet ]]; then ln -s /bin/busybox "$applet"; fi
done
echo 'root:x:0:0:root:/root:/bin/sh' >etc/passwd
echo 'root:x:0:' >etc/group
# Without this file glibc would ask DNS before /etc/hosts (and look users up through "compat").
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >etc/nsswitch.conf
mkdir -m 0700 root
mkdir -p run var/lib/weave
ln -s /run var/run # as bookworm has it (kubelet mounts the service account under /var/run/secrets)
chmod 1777 tmp

tar --numeric-owner -cf "$work/rootfs.tar" .
container=$(buildah from scratch)
buildah add --quiet "$container" "$work/rootfs.tar" / >/dev/null
buildah commit --quiet --rm "$container" "$tag" >/dev/null
container=""

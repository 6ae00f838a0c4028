# The add-on's image: the router `weave` and the CNI plugin `weave-net` (Native AOT executables)
# on a base of only the Debian 12 packages they need at run time (deploy/image/base.sh).
# `./build.sh image` makes the base, passes its tag as BASE, builds this with buildah and writes
# out/weave-image.tar (docker-archive, tagged localhost/weave:<version>).
ARG BASE=localhost/weave-base:latest
FROM ${BASE}
# libsodium.so must sit beside weave; `weave install-cni` copies weave-net from beside weave
# to the host's /opt/cni/bin.
COPY out/weave out/weave-net out/libsodium.so /usr/local/lib/weave/
# weave first, so that `kubectl exec POD -- weave status` finds it.
ENV PATH=/usr/local/lib/weave:/usr/sbin:/usr/bin:/sbin:/bin
ENTRYPOINT ["/usr/local/lib/weave/weave"]
CMD ["launch", "--kubernetes"]

#!/usr/bin/env bash
# The data-plane benchmark (kernel VXLAN vs the router, pod to pod across two lab hosts).
# It lives in bench/dataplane/; see bench/dataplane/run.sh for options and bench/README.md for results.
exec "$(dirname "$0")/dataplane/run.sh" "$@"

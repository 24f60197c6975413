#!/usr/bin/env bash
# Build the harness against Debian's memberlist (GOPATH mode, offline) and run
# one configuration, appending its JSON line to results.jsonl beside this file.
#
#   bash bench/memberlist-anchor/run.sh -n 100 -c 10 -seed 1
#   bash bench/memberlist-anchor/run.sh -n 1000 -c 10 -seed 2 -no-tcp-pings
#
# Flags are passed to the harness (see `/tmp/memberlist-anchor -h`).
# Each run is bounded twice: by the harness's own hard stop and by `timeout`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin=/tmp/memberlist-anchor
mkdir -p /tmp/gopath
(cd "$here" && GO111MODULE=off GOPATH=/tmp/gopath:/usr/share/gocode go build -o "$bin" .)
out="${RESULTS:-$here/results.jsonl}"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
rc=0
line="$(timeout --signal=KILL 2400 "$bin" "$@")" || rc=$?
echo "$line"
[ -n "$line" ] && echo "$line" >>"$out"
exit $rc

#!/usr/bin/env bash
# Two (or more) sockit builds against each other on the same 1 GiB file-to-file transfer over
# loopback, alternately, so a change to send/recv is measured against the build before it in one
# run. Each run: `recv 0 -o DIR` listens first (not timed), then the clock runs from starting
# `send` to both exiting; `sync` between runs (not timed). Prints each build's median and runs.
#
#   bench/transfer_ab.sh --dir /dev/shm --reps 7 /path/to/old/sockit build/release/sockit
set -euo pipefail
reps=7 base=/tmp mib=1024
while [ $# -gt 0 ]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --dir) base=$2; shift 2 ;;
    --mib) mib=$2; shift 2 ;;
    -*) echo "usage: $0 [--reps N] [--dir DIR] [--mib MIB] SOCKIT_A SOCKIT_B..." >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || { echo "usage: $0 [--reps N] [--dir DIR] [--mib MIB] SOCKIT_A SOCKIT_B..." >&2; exit 2; }
work=$(mktemp -d "$base/sockit-transfer-ab.XXXXXX")
rpid=
cleanup() { [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/in.bin"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $mib MiB, $reps reps, in $base ($(df -T "$base" | awk 'NR==2 {print $2}'))"
for rep in $(seq "$reps"); do
  for b in "$@"; do
    rm -rf "$work/out" && mkdir "$work/out" && sync
    "$b" recv 0 -o "$work/out" 2>"$work/recv.err" & rpid=$!
    port=
    for _ in $(seq 100); do
      port=$(sed -n 's/^sockit: listening on 127.0.0.1:\([0-9]*\) (tcp)$/\1/p' "$work/recv.err"); [ -n "$port" ] && break; sleep 0.05
    done
    [ -n "$port" ] || { echo "$b: recv did not listen: $(cat "$work/recv.err")" >&2; exit 1; }
    t0=$(date +%s.%N); "$b" send "$work/in.bin" "127.0.0.1:$port"; wait "$rpid"; rpid=; t1=$(date +%s.%N)
    cmp -s "$work/in.bin" "$work/out/in.bin" || { echo "$b: output differs" >&2; exit 1; }
    echo "$b $(echo "$t1 - $t0" | bc -l)" >>"$work/times"
  done
done
for b in "$@"; do
  printf '%s: median %.3f s; runs %s\n' "$b" \
    "$(awk -v b="$b" '$1 == b {print $2}' "$work/times" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
    "$(awk -v b="$b" '$1 == b {printf "%.3f ", $2}' "$work/times")"
done

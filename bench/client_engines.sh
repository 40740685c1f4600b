#!/usr/bin/env bash
# The load generator on each engine: `sockit bench --engine epoll` (readiness, an event loop) against
# `sockit bench --engine uring` (completions, sockit::uring_streams), both driving the same server —
# the hand-written C epoll echo (bench/ref/epoll_echo.c), pinned to CPU 0 and started once — from
# CPU 1, one thread. Both keep DEPTH messages in flight per connection and send each message as its
# own send, so the server sees the same load; what differs is what the generator spends per
# message, which shows in how many messages per second one core drives. Runs are interleaved
# (epoll, uring, epoll, ...); medians over the repetitions, and uring's ratio to epoll.
#
#   bench/client_engines.sh                           # 5 reps x 3 s, cases c1_d1_64 c100_d16_64 c10_d4_16k
#   bench/client_engines.sh --reps 3 --time 2 --cases c100_d16_64
#
# Environment: SOCKIT (default build/release/sockit). Traffic stays on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
cd "$bench_repo"
reps=5 secs=3
cases="c1_d1_64 c100_d16_64 c10_d4_16k"
rep_args "$here/client_engines.sh" 13 "$@"
need_tools client_engines.sh
[ -x "$bench_refs/epoll_echo" ] || bash "$here/build-refs.sh" >&2
trap bench_cleanup EXIT

port=$(pick_port)
start_server epoll_ref "$port" 0
echo "| case | bench --engine epoll (msgs/s) | bench --engine uring (msgs/s) | uring / epoll | per-rep ratios |"
echo "|---|---:|---:|---:|---|"
for c in $cases; do
    IFS=_ read -r conns depth size <<<"${c//[cd]/}"
    size=${size/16k/16384}
    declare -a ep=() ur=() ratios=()
    for ((r = 1; r <= reps; r++)); do
        for eng in epoll uring; do
            out=$(taskset -c 1 "$SOCKIT" --json bench --engine "$eng" -c "$conns" -d "$depth" -s "$size" -t "$secs" \
                --warmup 1 "127.0.0.1:$port")
            [ "$(jq -r .errors <<<"$out")" = 0 ] || { echo "client_engines.sh: $eng $c had errors: $(jq -r .first_error <<<"$out")" >&2; exit 1; }
            rate=$(jq -r '.msgs_per_s | floor' <<<"$out")
            echo "client_engines: $c rep $r $eng $rate msgs/s" >&2
            if [ "$eng" = epoll ]; then ep+=("$rate"); else ur+=("$rate"); fi
        done
        ratios+=("$(awk -v a="${ur[-1]}" -v b="${ep[-1]}" 'BEGIN { printf "%.2f", a / b }')")
    done
    me=$(printf '%s\n' "${ep[@]}" | median)
    mu=$(printf '%s\n' "${ur[@]}" | median)
    printf '| %s | %.0f | %.0f | %.2f× | %s |\n' "$c" "$me" "$mu" "$(awk -v a="$mu" -v b="$me" 'BEGIN { print a / b }')" "${ratios[*]}"
done

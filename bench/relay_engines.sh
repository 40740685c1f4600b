#!/usr/bin/env bash
# `sockit relay` on each engine with many small messages: the readiness relay (--engine epoll:
# splice through a pipe per direction) against io_uring completions (--engine uring:
# sockit::uring_relay), between `sockit bench` and `sockit echo --engine epoll`. The relay is pinned
# to CPU 0 and started fresh for each run; the echo server and the load share CPU 1. The criterion
# is the relay's CPU time per message (user + system, over the measured window, from bench
# --server-pid); runs are interleaved (epoll, uring, then uring, epoll, ...); medians over the
# repetitions, and uring's ratio to epoll. bench/relay.sh measures one bulk stream instead.
#
#   bench/relay_engines.sh                             # 5 reps x 3 s: c1_d1 c100_d1 c100_d16 c10_d4_16k c1000_d1
#   bench/relay_engines.sh --reps 3 --time 2 --cases c100_d16
#
# Case names: cCONNS_dDEPTH, 64-byte messages; a _16k suffix: 16 KiB. Traffic stays on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
cd "$bench_repo"
reps=5 secs=3
cases="c1_d1 c100_d1 c100_d16 c10_d4_16k c1000_d1"
rep_args "$here/relay_engines.sh" 14 "$@"
need_tools relay_engines.sh
trap bench_cleanup EXIT
ulimit -n 16384 2>/dev/null || true  # c1000: two sockets per connection in the relay, pipes too

echo "| case | epoll (splice): relay CPU µs/message | uring (completions): relay CPU µs/message | uring / epoll | per-rep ratios | messages/s epoll, uring |"
echo "|---|---:|---:|---:|---|---|"
measure() {   # engine case
    local conns depth size out echo_pid
    IFS=_ read -r conns depth size <<<"$2"
    conns=${conns#c} depth=${depth#d} size=${size/16k/16384}
    relay_target=$(pick_port)
    start_server sockit_epoll "$relay_target" 1
    echo_pid=$server_pid
    port=$(pick_port)
    start_server "relay_$1" "$port" 0
    out=$(taskset -c 1 "$SOCKIT" --json bench -c "$conns" -d "$depth" -s "${size:-64}" -t "$secs" --warmup 0.5 \
        --server-pid "$server_pid" "127.0.0.1:$port" | tail -1) ||
        { echo "relay_engines.sh: bench through relay --engine $1 failed ($2)" >&2; exit 1; }
    stop_server "$server_pid"
    stop_server "$echo_pid"
    m_cpu=$(jq -r .server_cpu_us_per_msg <<<"$out")
    m_rate=$(jq -r .msgs_per_s <<<"$out")
}
engine_pairs %.2f

#!/usr/bin/env bash
# `sockit proto serve` on each engine: the event loop on epoll (readiness) against io_uring
# completions (sockit::uring_stream_server with a session per connection), the server pinned to
# CPU 0 and started fresh for each run, the load (bench/proto_load.py: CONNS connections, DEPTH v1
# requests in flight on each, every answer checked) from CPU 1. The criterion is the server's CPU
# time per request (user + system, over the measured window); the Python load generator saturates
# its own core long before the server does, so requests per second say little. Runs are
# interleaved (epoll, uring, then uring, epoll, ...); medians over the repetitions, and uring's
# ratio to epoll.
#
#   bench/proto_engines.sh                             # 5 reps x 3 s: c1_d1 c100_d1 c100_d16 c10_d4_1k c1000_d1
#   bench/proto_engines.sh --reps 3 --time 2 --cases c100_d16
#
# Case names: cCONNS_dDEPTH, PING requests; a _1k suffix: ECHO of 1 KiB. Traffic stays on 127.0.0.1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
cd "$bench_repo"
reps=5 secs=3
cases="c1_d1 c100_d1 c100_d16 c10_d4_1k c1000_d1"
rep_args "$here/proto_engines.sh" 14 "$@"
need_tools proto_engines.sh
trap bench_cleanup EXIT
ulimit -n 8192 2>/dev/null || true  # the load's c1000 case

echo "| case | epoll: server CPU µs/request | uring: server CPU µs/request | uring / epoll | per-rep ratios | requests/s epoll, uring |"
echo "|---|---:|---:|---:|---|---|"
measure() {   # engine case
    local conns depth text out
    IFS=_ read -r conns depth text <<<"$2"
    conns=${conns#c} depth=${depth#d} text=${text/1k/1024}
    port=$(pick_port)
    start_server "proto_$1" "$port" 0
    out=$(taskset -c 1 python3 "$here/proto_load.py" "$port" --conns "$conns" --depth "$depth" \
        ${text:+--text "$text"} --time "$secs" --pid "$server_pid") ||
        { echo "proto_engines.sh: the load against proto serve --engine $1 failed ($2)" >&2; exit 1; }
    stop_server "$server_pid"
    m_cpu=$(jq -r .server_cpu_us_per_request <<<"$out")
    m_rate=$(jq -r .requests_per_s <<<"$out")
}
engine_pairs %.3f

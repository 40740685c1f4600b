#!/usr/bin/env bash
# The Windows build under Wine against the same program on Linux: examples/echo_server (the
# chapter's event-driven echo server on sockit's event loop) built both ways, loaded by the Linux
# `sockit bench` over 127.0.0.1. Servers: echo_server.exe --engine iocp, wsapoll and select and
# echo_server.exe --completion (sockit::iocp_echo_server: AcceptEx, WSARecv/WSASend) under Wine,
# the CLI's `sockit.exe echo --tcp` on iocp (TCP on completions), wsapoll and select, and the Linux
# echo_server (epoll) as the reference, started once each;
# repetitions interleaved (the order rotates). Medians of messages/s and p50 latency, and each
# server's ratio to the Linux reference. Wine is not Windows: this measures sockit's Windows code
# on Wine's Winsock (each Winsock call is a trip through wineserver), not Windows' network stack.
#
#   bench/wine_echo.sh                  # 3 reps x 3 s, 4 connections, depth 4, 1 KiB
#   bench/wine_echo.sh --reps 5 --time 5
#   bench/wine_echo.sh --conns 100      # many connections: where polling each socket per wait costs
#
# Needs build/release (Linux) and build/windows (cmake --preset windows), and wine64.
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKIT=${SOCKIT:-$PWD/build/release/sockit}
LINUX_ECHO=${LINUX_ECHO:-$PWD/build/release/echo_server}
WIN_ECHO=${WIN_ECHO:-$PWD/build/windows/echo_server.exe}
WIN_SOCKIT=${WIN_SOCKIT:-$PWD/build/windows/sockit.exe}
reps=3 secs=3 conns=4
while (($#)); do
  case $1 in
    --reps) reps=$2; shift ;;
    --time) secs=$2; shift ;;
    --conns) conns=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "wine_echo.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
for f in "$SOCKIT" "$LINUX_ECHO" "$WIN_ECHO" "$WIN_SOCKIT" /usr/lib/wine/wine64; do
  [ -e "$f" ] || { echo "wine_echo.sh: missing $f" >&2; exit 1; }
done
dir=$(mktemp -d /tmp/sockit-wine-bench.XXXXXX)
export SOCKIT_WINEPREFIX=$dir/prefix
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  bash tests/windows/wine_prefix.sh cleanup "$SOCKIT_WINEPREFIX" >/dev/null 2>&1
  rm -rf "$dir"
  return 0
}
trap cleanup EXIT
bash tests/windows/wine_prefix.sh setup "$SOCKIT_WINEPREFIX" >/dev/null

declare -A port
start() {  # start NAME COMMAND...: runs it, waits for its "listening on" line
  local name=$1
  shift
  "$@" >"$dir/$name.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    # The server may not have created its output file yet (and set -e would end the script).
    # echo_server says "listening on ...", sockit "sockit: listening on ...".
    port[$name]=$(sed -n 's/^\(sockit: \)\{0,1\}listening on 127\.0\.0\.1:\([0-9]*\) .*/\2/p' "$dir/$name.out" 2>/dev/null |
      head -1 || true)
    [ -n "${port[$name]}" ] && return 0
    sleep 0.1
  done
  echo "wine_echo.sh: $name did not start" >&2
  cat "$dir/$name.out" >&2
  exit 1
}
start linux "$LINUX_ECHO" --engine epoll
start iocp bash tests/windows/wine.sh "$WIN_ECHO" --engine iocp
start completion bash tests/windows/wine.sh "$WIN_ECHO" --completion
start wsapoll bash tests/windows/wine.sh "$WIN_ECHO" --engine wsapoll
start select bash tests/windows/wine.sh "$WIN_ECHO" --engine select
for e in iocp wsapoll select; do
  start "cli_$e" bash tests/windows/wine.sh "$WIN_SOCKIT" echo --tcp --port 0 --engine "$e"
done

names=(linux iocp completion wsapoll select cli_iocp cli_wsapoll cli_select)
for ((r = 0; r < reps; r++)); do
  for ((i = 0; i < ${#names[@]}; i++)); do
    n=${names[$(((i + r) % ${#names[@]}))]}
    # A run with errors still prints its JSON (and exits 1): the table counts them.
    "$SOCKIT" bench "127.0.0.1:${port[$n]}" --json -c "$conns" -d 4 -s 1024 -t "$secs" --warmup 0.5 >>"$dir/$n.jsonl" \
      2>>"$dir/$n.err" || true
  done
done

python3 - "$dir" "${names[@]}" <<'PY'
import json, statistics, sys
d, names = sys.argv[1], sys.argv[2:]
runs = {n: [json.loads(l) for l in open(f"{d}/{n}.jsonl")] for n in names}
med = {n: (statistics.median(r["msgs_per_s"] for r in runs[n]),
           statistics.median(r["latency_us"]["p50"] for r in runs[n]),
           sum(r["errors"] for r in runs[n])) for n in names}
ref = med["linux"][0]
print("| server | msgs/s (median) | p50 µs | errors | msgs/s vs Linux epoll |")
print("|---|---:|---:|---:|---:|")
label = {"linux": "echo_server, Linux, epoll", "iocp": "echo_server.exe under Wine, iocp (AFD polls)",
         "completion": "echo_server.exe --completion under Wine (iocp_echo_server)",
         "wsapoll": "echo_server.exe under Wine, wsapoll",
         "select": "echo_server.exe under Wine, select",
         "cli_iocp": "sockit.exe echo --tcp under Wine, iocp (TCP on completions)",
         "cli_wsapoll": "sockit.exe echo --tcp under Wine, wsapoll",
         "cli_select": "sockit.exe echo --tcp under Wine, select"}
for n in names:
    m, p50, err = med[n]
    print(f"| {label[n]} | {m:,.0f} | {p50:,.0f} | {err} | {m / ref:.2f}x |")
for n in names:
    for r in runs[n]:
        if r["errors"]:
            print(f"{label[n]}: {r['first_error']}")
PY

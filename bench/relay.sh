#!/usr/bin/env bash
# One TCP stream measured with iperf3 through each relay, on 127.0.0.1: direct (no relay), sockit
# relay on readiness (--engine epoll: splice), sockit relay --engine uring (io_uring completions:
# receives into provided buffers, sends from them), sockit relay --copy (read/write), and socat
# TCP-LISTEN:...,fork TCP:... All
# processes share the same cores (CPUS, default 0,1: iperf3 client, iperf3 server and the relay
# compete for them, as on a 2-core machine); runs are interleaved (each repetition runs every
# variant, in an order that rotates), each relay is started fresh, and the median of the
# repetitions is reported with the ratios to direct and to socat, and the relay's own CPU time
# per GB relayed (user + system, its children included for socat's fork; /proc/PID/stat), which the
# machine's noise moves much less than the rate.
#
#   bench/relay.sh                  # 5 reps x 5 s
#   bench/relay.sh --reps 7 --time 10
#
# Environment: SOCKIT (default build/release/sockit), CPUS (taskset list, default 0,1),
# RELAY_EXTRA (extra arguments for sockit relay, e.g. "--pipe-size 1048576").
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKIT=${SOCKIT:-$PWD/build/release/sockit}
CPUS=${CPUS:-0,1}
RELAY_EXTRA=${RELAY_EXTRA:-}
reps=5 secs=5
while (($#)); do
  case $1 in
    --reps) reps=$2; shift ;;
    --time) secs=$2; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "relay.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
for c in iperf3 socat jq taskset; do command -v "$c" >/dev/null || { echo "relay.sh: needs $c" >&2; exit 1; }; done
[ -x "$SOCKIT" ] || { echo "relay.sh: no sockit binary at $SOCKIT (build the release preset)" >&2; exit 1; }

pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; return 0; }
trap cleanup EXIT
free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( (RANDOM % 20000) + 30000 ))
    ss -tanH "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  echo "relay.sh: no free port" >&2; exit 1
}
wait_port() { for _ in $(seq 100); do ss -tlnH "sport = :$1" | grep -q . && return 0; sleep 0.05; done; echo "relay.sh: nothing on port $1" >&2; exit 1; }
steal_pct() {  # steal time over one second, in percent of all CPU time
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local tot=0 i
  for i in 1 2 3 4 5 6 7 8; do tot=$((tot + b[i] - a[i])); done
  echo $(( tot > 0 ? 100 * (b[8] - a[8]) / tot : 0 ))
}

variants=(direct sockit sockit_uring sockit_copy socat)
declare -A label=([direct]="direct (no relay)" [sockit]="sockit relay --engine epoll (splice)"
                  [sockit_uring]="sockit relay --engine uring (completions)"
                  [sockit_copy]="sockit relay --engine epoll --copy (read/write)" [socat]="socat TCP-LISTEN,fork TCP")
declare -A results cpus

run_one() {  # variant -> prints "Gbit/s relay-CPU-seconds-per-GB" (the CPU figure "-" for direct)
  local v=$1 sp rp relay_pid=""
  sp=$(free_port)
  taskset -c "$CPUS" iperf3 -s -B 127.0.0.1 -p "$sp" -1 >/dev/null 2>&1 & pids+=($!)
  local server=$!
  wait_port "$sp"
  rp=$sp
  case $v in
    sockit|sockit_uring|sockit_copy)
      rp=$(free_port)
      local extra=(--engine epoll)
      [ "$v" = sockit_copy ] && extra+=(--copy)
      [ "$v" = sockit_uring ] && extra=(--engine uring)
      # shellcheck disable=SC2086
      taskset -c "$CPUS" "$SOCKIT" relay "$rp" "127.0.0.1:$sp" "${extra[@]}" $RELAY_EXTRA >/dev/null 2>&1 & relay_pid=$!
      ;;
    socat)
      rp=$(free_port)
      taskset -c "$CPUS" socat "TCP-LISTEN:$rp,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$sp" 2>/dev/null & relay_pid=$!
      ;;
  esac
  [ -n "$relay_pid" ] && { pids+=("$relay_pid"); wait_port "$rp"; }
  local json bps bytes cpu="-"
  json=$(taskset -c "$CPUS" iperf3 -c 127.0.0.1 -p "$rp" -t "$secs" -J)
  bps=$(jq '.end.sum_received.bits_per_second' <<<"$json")
  bytes=$(jq '.end.sum_received.bytes' <<<"$json")
  if [ -n "$relay_pid" ]; then
    sleep 0.3  # socat's child exits and is waited for, so its time is in cutime/cstime
    local ticks
    ticks=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$relay_pid/stat")
    cpu=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v b="$bytes" 'BEGIN { printf "%.3f", t / hz / (b / 1e9) }')
    kill "$relay_pid" 2>/dev/null || true; wait "$relay_pid" 2>/dev/null || true
  fi
  kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
  awk -v b="$bps" -v c="$cpu" 'BEGIN { printf "%.2f %s\n", b / 1e9, c }'
}

echo "# uptime: $(uptime)"
echo "# steal: $(steal_pct) % (one second, before the runs)"
echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%MZ), $reps reps x $secs s, CPUs $CPUS"
for ((r = 0; r < reps; r++)); do
  order=()
  for ((k = 0; k < ${#variants[@]}; k++)); do order+=("${variants[(k + r) % ${#variants[@]}]}"); done
  line="rep $((r + 1)):"
  for v in "${order[@]}"; do
    read -r g c < <(run_one "$v")
    results[$v]+="$g "
    cpus[$v]+="$c "
    line+=" $v $g ($c s/GB)"
  done
  echo "$line Gbit/s"
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -A med medc
for v in "${variants[@]}"; do
  med[$v]=$(median <<<"${results[$v]}")
  medc[$v]=-
  [ "$v" = direct ] || medc[$v]=$(tr ' ' '\n' <<<"${cpus[$v]}" | grep -v -e '^-$' -e '^$' | median)
done
echo
echo "| relay | median Gbit/s | runs (Gbit/s) | vs direct | vs socat | relay CPU s/GB (median) |"
echo "|---|---:|---|---:|---:|---:|"
for v in "${variants[@]}"; do
  rd=$(awk -v a="${med[$v]}" -v b="${med[direct]}" 'BEGIN { printf "%.2fx", a / b }')
  rs=$(awk -v a="${med[$v]}" -v b="${med[socat]}" 'BEGIN { printf "%.2fx", a / b }')
  echo "| ${label[$v]} | ${med[$v]} | ${results[$v]% } | $rd | $rs | ${medc[$v]:--} |"
done
echo "# uptime after: $(uptime)"

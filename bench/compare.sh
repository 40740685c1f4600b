#!/usr/bin/env bash
# Side-by-side comparison of sockit's echo server with reference echo servers (bench/ref/), all measured by
# the same `sockit bench` matrix in one run. Writes raw results to build/bench-results/RUN.jsonl and a
# docs/benchmarks.md-ready report (build/bench-results/benchmarks.md + benchmarks.png) via bench/report.py.
#
#   bench/compare.sh                  # full run: 3 reps x 5 s (+1 s warm-up) per server per case (~10 min)
#   bench/compare.sh --quick          # smoke: 1 rep x 2 s
#   bench/compare.sh --reps 5 --time 10 --servers epoll_ref,sockit --cases c1_d1_64,c100_d16_64
#   bench/compare.sh --udp --reps 5   # UDP echo: recvmmsg C loop (the reference), recvfrom C loop, sockit echo -u
#
# Fairness, in short (bench/README.md says more): the server runs on CPU 0 and the load generator on CPU 1;
# runs are interleaved (for each case, for each repetition, for each server, in an order that rotates every
# repetition) so drift hits every server alike; each server is started fresh for each run; medians over the
# repetitions; every ratio is against the hand-written epoll echo measured in the same run.
#
# Environment:
#   SOCKIT              sockit binary (default build/release/sockit)
#   SOCKIT_ENGINE       --engine for `sockit echo` (default epoll; empty: leave the option out)
#   SERVER_CPU, CLIENT_CPU   taskset CPU lists (default 0 and 1)
#   BENCH_EXTRA         extra arguments for every `sockit bench` run (e.g. "--threads 1")
#   SOCKIT_BENCH_FAKE=1 run bench/fake_bench.py instead of `sockit bench`: it really opens the connections and
#                       checks one echo on each (so RSS and errors are real), but makes up rates, latencies and
#                       CPU figures; to exercise this script and the report before the real bench exists.
#                       SOCKIT_BENCH_FAKE_HOLD: seconds it keeps the connections open (default 1).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
cd "$bench_repo"

# id conns depth size label
all_cases=(
    "c1_d1_64 1 1 64 1 conn d1 64 B"
    "c100_d1_64 100 1 64 100 conns d1 64 B"
    "c100_d16_64 100 16 64 100 conns d16 64 B"
    "c10_d4_16k 10 4 16384 10 conns d4 16 KiB"
    "c10k_d1_64 10000 1 64 10k conns d1 64 B"
)
# --udp: datagrams instead (`sockit bench --udp`: CONNS connected sockets, DEPTH datagrams in flight each).
# d8 is issue 9's target case; d64 keeps the server's queue full, where batching shows.
udp_cases=(
    "udp_c8_d8_64 8 8 64 UDP 8 sockets d8 64 B"
    "udp_c8_d64_64 8 64 64 UDP 8 sockets d64 64 B"
)
udp=

reps=3 secs=5 warmup=1
servers=("${bench_servers[@]}")
case_filter=""
out_dir="$bench_repo/build/bench-results"
command_line="bench/compare.sh${*:+ $*}"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }
while (($#)); do
    case $1 in
        --quick) reps=1 secs=2 ;;
        --udp) udp=1 ;;
        --reps) reps=$2; shift ;;
        --time) secs=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --servers) IFS=, read -r -a servers <<<"$2"; shift ;;
        --cases) case_filter=",$2,"; shift ;;
        --out) out_dir=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "compare: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
reference=epoll_ref
if [[ -n $udp ]]; then
    reference=udp_mmsg_ref
    all_cases=("${udp_cases[@]}")
    [[ " ${servers[*]} " == " ${bench_servers[*]} " ]] && servers=("${bench_udp_servers[@]}")
fi
[[ " ${servers[*]} " == *" $reference "* ]] || { echo "compare: $reference is the reference; keep it in --servers" >&2; exit 2; }
for s in "${servers[@]}"; do
    if [[ -n $udp ]] && ! bench_is_udp "$s"; then echo "compare: '$s' is a TCP server; --udp takes ${bench_udp_servers[*]}" >&2; exit 2; fi
    if [[ -z $udp ]] && bench_is_udp "$s"; then echo "compare: '$s' is a UDP server: add --udp" >&2; exit 2; fi
done
# The reference first: the report's ratios are against the first server.
ordered=("$reference")
for s in "${servers[@]}"; do [[ $s == "$reference" ]] || ordered+=("$s"); done
servers=("${ordered[@]}")
for s in "${servers[@]}"; do
    [[ -n ${bench_display[$s]:-} ]] || { echo "compare: unknown server '$s' (${bench_servers[*]})" >&2; exit 2; }
done
cases=()
for c in "${all_cases[@]}"; do
    [[ -z $case_filter || $case_filter == *",${c%% *},"* ]] && cases+=("$c")
done
((${#cases[@]})) || { echo "compare: no case matches --cases" >&2; exit 2; }

server_cpu=${SERVER_CPU:-0}
client_cpu=${CLIENT_CPU:-1}
fake=${SOCKIT_BENCH_FAKE:-0}
[[ $fake == 0 ]] && fake=""
read -r -a bench_extra <<<"${BENCH_EXTRA:-}"

need_pkg() {   # command package
    command -v "$1" >/dev/null && return
    echo "compare: installing $2" >&2
    [[ $(id -u) -eq 0 ]] || { echo "compare: need root to apt-get install $2" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}
need_pkg python3 python3
need_pkg gnuplot gnuplot-nox
need_pkg taskset util-linux

"$here/build-refs.sh" >&2
if [[ " ${servers[*]} " == *" sockit "* || -z $fake ]]; then
    [[ -x $SOCKIT ]] || { echo "compare: no sockit binary at $SOCKIT (set SOCKIT, or build the release preset)" >&2; exit 1; }
fi
if [[ -z $fake ]] && ! "$SOCKIT" bench --help >/dev/null 2>&1; then
    echo "compare: '$SOCKIT bench' is not available (SOCKIT_BENCH_FAKE=1 exercises the plumbing without it)" >&2
    exit 1
fi

# 10k connections need 10k descriptors in the server and again in the load generator (which raises its own
# limit too); start both with plenty.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
max_conns=0
for c in "${cases[@]}"; do
    read -r _ n _ <<<"$c"
    if ((n > max_conns)); then max_conns=$n; fi
done
if (($(ulimit -n) < max_conns + 64)); then
    echo "compare: warning: ulimit -n is $(ulimit -n), below the $max_conns connections of the largest case" >&2
fi

load1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load1" 'BEGIN { exit !(l > 0.5) }'; then
    echo "compare: warning: 1-minute load average is $load1: other work will skew these figures" >&2
fi

stamp=$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out_dir"
jsonl="$out_dir/$stamp.jsonl"
logs="$out_dir/$stamp.logs"
mkdir -p "$logs"
trap bench_cleanup EXIT
trap 'echo "compare: stopped by a signal; partial results in $jsonl" >&2; exit 130' INT TERM
trap 'echo "compare: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

json_str() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"; }

# The meta line: what the report needs to say how and where these numbers were made.
{
    printf '{"type":"meta","date":%s,"command":%s,' "$(json_str "$(date -u '+%Y-%m-%d %H:%M UTC')")" "$(json_str "$command_line")"
    printf '"env":%s,' "$(json_str "$(env | grep -E '^(SOCKIT_ENGINE|SERVER_CPU|CLIENT_CPU|BENCH_EXTRA|SOCKIT_BENCH_FAKE)=' | tr '\n' ' ' | sed 's/ $//')")"
    printf '"loadavg":%s,' "$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")"
    printf '"nproc":%s,"kernel":%s,"cpu":%s,' "$(nproc)" "$(json_str "$(uname -sr)")" \
        "$(json_str "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)")"
    printf '"sockit_commit":%s,' "$(json_str "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')")"
    printf '"reference":%s,"proto":%s,' "$(json_str "$reference")" "$(json_str "$([[ -n $udp ]] && echo udp || echo tcp)")"
    printf '"reps":%s,"time_s":%s,"warmup_s":%s,"server_cpu":%s,"client_cpu":%s,"fake":%s,' "$reps" "$secs" "$warmup" \
        "$(json_str "$server_cpu")" "$(json_str "$client_cpu")" "$([[ -n $fake ]] && echo true || echo false)"
    printf '"servers":['
    sep=""
    for s in "${servers[@]}"; do printf '%s{"id":%s,"name":%s}' "$sep" "$(json_str "$s")" "$(json_str "${bench_display[$s]}")"; sep=,; done
    printf '],"cases":['
    sep=""
    for c in "${cases[@]}"; do
        read -r id n d sz label <<<"$c"
        printf '%s{"id":%s,"connections":%s,"depth":%s,"size":%s,"label":%s}' "$sep" "$(json_str "$id")" "$n" "$d" "$sz" "$(json_str "$label")"
        sep=,
    done
    printf ']}\n'
} >"$jsonl"

total=$((${#cases[@]} * reps * ${#servers[@]}))
run=0
echo "compare: $total runs (${#cases[@]} cases x $reps reps x ${#servers[@]} servers, ${secs}s + ${warmup}s warm-up each)${fake:+, FAKE bench}" >&2
echo "compare: raw results -> $jsonl" >&2

for c in "${cases[@]}"; do
    read -r case_id conns depth size _ <<<"$c"
    for ((rep = 1; rep <= reps; rep++)); do
        # Rotate the starting server each repetition so no server always runs first (or right after another).
        order=()
        for ((i = 0; i < ${#servers[@]}; i++)); do order+=("${servers[(i + rep - 1) % ${#servers[@]}]}"); done
        for name in "${order[@]}"; do
            run=$((run + 1))
            tag="$case_id.rep$rep.$name"
            started=0
            for _ in 1 2 3 4 5; do
                port=$(pick_port)
                if start_server "$name" "$port" "$server_cpu" "$logs/$tag.server.log"; then started=1; break; fi
            done
            bench_rc=-1 rss_idle="" rss_peak=0 rss_hwm="" server_status=-1
            : >"$logs/$tag.bench.json"
            if ((started)); then
                sleep 0.2   # let the server settle before its idle RSS is read
                rss_idle=$(proc_kb "$server_pid" VmRSS)
                cmd=(timeout -k 5 $((secs + warmup + 120)) taskset -c "$client_cpu" "$SOCKIT" bench "127.0.0.1:$port"
                    -c "$conns" -d "$depth" -s "$size" -t "$secs" --warmup "$warmup" --server-pid "$server_pid" --json
                    ${udp:+--udp} "${bench_extra[@]}")
                if [[ -n $fake ]]; then
                    timeout -k 5 120 taskset -c "$client_cpu" python3 "$here/fake_bench.py" "$name" "127.0.0.1:$port" \
                        "$conns" "$depth" "$size" "$secs" "${SOCKIT_BENCH_FAKE_HOLD:-1}" \
                        >"$logs/$tag.bench.json" 2>"$logs/$tag.bench.err" &
                else
                    "${cmd[@]}" >"$logs/$tag.bench.json" 2>"$logs/$tag.bench.err" &
                fi
                bench_pid=$!
                bench_pids+=("$bench_pid")
                # Sample the server's RSS while the load runs; VmHWM after it gives the true peak.
                while kill -0 "$bench_pid" 2>/dev/null; do
                    r=$(proc_kb "$server_pid" VmRSS)
                    if [[ -n $r ]] && ((r > rss_peak)); then rss_peak=$r; fi
                    sleep 0.2
                done
                wait "$bench_pid" && bench_rc=0 || bench_rc=$?
                forget_pid "$bench_pid"
                rss_hwm=$(proc_kb "$server_pid" VmHWM)
                stop_server "$server_pid"
            fi
            # The bench's object goes in whole under "bench" (null if it printed nothing usable).
            result=$(tr -d '\n' <"$logs/$tag.bench.json")
            [[ $result == \{*\} ]] || result=null
            printf '{"type":"run","case":%s,"rep":%d,"server":%s,"port":%s,"started":%s,"bench_exit":%s,"server_exit":%s,' \
                "$(json_str "$case_id")" "$rep" "$(json_str "$name")" "$port" "$([[ $started == 1 ]] && echo true || echo false)" \
                "$bench_rc" "$server_status" >>"$jsonl"
            printf '"rss_idle_kb":%s,"rss_peak_sampled_kb":%s,"rss_hwm_kb":%s,"bench":%s}\n' \
                "${rss_idle:-null}" "$rss_peak" "${rss_hwm:-null}" "$result" >>"$jsonl"
            rate=$(sed -n 's/.*"msgs_per_s": *\([0-9.eE+-]*\).*/\1/p' <<<"$result")
            cpu=$(sed -n 's/.*"server_cpu_us_per_msg": *\([0-9.eE+-]*\).*/\1/p' <<<"$result")
            [[ -n $rate ]] && printf -v rate '%.0f' "$rate"
            [[ -n $cpu ]] && printf -v cpu '%.2f' "$cpu"
            printf 'compare: [%d/%d] %-12s rep %d %-9s %s msgs/s, %s us/msg server CPU%s\n' "$run" "$total" "$case_id" "$rep" \
                "$name" "${rate:-?}" "${cpu:-?}" "$([[ $result == null ]] && echo "  (FAILED: see $logs/$tag.*)")" >&2
        done
    done
done

python3 "$here/report.py" "$jsonl" --md "$out_dir/benchmarks.md" --png "$out_dir/benchmarks.png"
cp "$jsonl" "$out_dir/latest.jsonl"
echo "compare: wrote $out_dir/benchmarks.md and $out_dir/benchmarks.png (raw: $jsonl)" >&2

# shellcheck shell=bash disable=SC2034   # the variables set here are read by the scripts that source it
# Shared by bench/smoke.sh and bench/compare.sh (sourced, not run): the list of servers, and starting,
# waiting for and stopping them. Every process started here is recorded and killed by PID on exit.
# Traffic stays on 127.0.0.1.

bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_refs="$bench_repo/build/bench-refs"
SOCKIT=${SOCKIT:-$bench_repo/build/release/sockit}
SOCKIT_ENGINE=${SOCKIT_ENGINE-epoll}   # empty: run `sockit echo` without --engine

# Server names in table order: the hand-written reference first (every ratio is against it), sockit next.
# Display names are what the tables show.
bench_servers=(epoll_ref sockit asio libevent libuv)
declare -A bench_display=(
    [epoll_ref]="hand-written epoll echo (C)"
    [sockit]="sockit echo${SOCKIT_ENGINE:+ --engine $SOCKIT_ENGINE}"
    [asio]="asio example (1 KiB buffer)"
    [libevent]="libevent bufferevent example"
    [libuv]="libuv docs example"
    [udp_mmsg_ref]="recvmmsg/sendmmsg UDP loop (C)"
    [udp_recvfrom_ref]="recvfrom/sendto UDP loop (C)"
    [sockit_udp]="sockit echo -u${SOCKIT_ENGINE:+ --engine $SOCKIT_ENGINE}"
    # One engine each whatever SOCKIT_ENGINE says, to compare engines interleaved in one run
    # (--servers epoll_ref,sockit_epoll,sockit_uring); not in the default list.
    [sockit_epoll]="sockit echo --engine epoll"
    [sockit_uring]="sockit echo --engine uring"
)
# The UDP servers (compare.sh --udp), reference first. They are told apart from the TCP ones by
# bench_is_udp, which start_server uses to wait for a bound UDP port instead of a TCP listener.
bench_udp_servers=(udp_mmsg_ref udp_recvfrom_ref sockit_udp)
bench_is_udp() { [[ $1 == udp_* || $1 == sockit_udp* ]]; }
# SOCKIT_BASELINE: another sockit binary (e.g. the commit before a change) measured as server
# "sockit_base", interleaved with the others, to show that a change made nothing slower.
SOCKIT_BASELINE=${SOCKIT_BASELINE:-}
if [[ -n $SOCKIT_BASELINE ]]; then
    bench_servers+=(sockit_base)
    bench_display[sockit_base]="sockit echo baseline ($(basename "$(dirname "$SOCKIT_BASELINE")"))${SOCKIT_ENGINE:+ --engine $SOCKIT_ENGINE}"
    bench_udp_servers+=(sockit_udp_base)
    bench_display[sockit_udp_base]="sockit echo -u baseline ($(basename "$(dirname "$SOCKIT_BASELINE")"))${SOCKIT_ENGINE:+ --engine $SOCKIT_ENGINE}"
fi

# Sets server_argv to the command that serves echo on 127.0.0.1:PORT for server NAME.
server_cmd() {   # name port
    case $1 in
        epoll_ref) server_argv=("$bench_refs/epoll_echo" "$2") ;;
        asio) server_argv=("$bench_refs/asio_echo" "$2") ;;
        libevent) server_argv=("$bench_refs/libevent_echo" "$2") ;;
        libuv) server_argv=("$bench_refs/libuv_echo" "$2") ;;
        udp_mmsg_ref) server_argv=("$bench_refs/udp_mmsg_echo" "$2") ;;
        udp_recvfrom_ref) server_argv=("$bench_refs/udp_recvfrom_echo" "$2") ;;
        # UDP: the reflection guard's rate limit off (loopback sources are exempt from it anyway).
        sockit_udp | sockit_udp_base)
            local ubin=$SOCKIT
            [[ $1 == sockit_udp_base ]] && ubin=$SOCKIT_BASELINE
            server_argv=("$ubin" echo --udp --bind 127.0.0.1 --port "$2" --udp-rate 0)
            [[ -n $SOCKIT_ENGINE ]] && server_argv+=(--engine "$SOCKIT_ENGINE")
            ;;
        # The references have no connection cap, so lift sockit's (default 1000) for the 10k case.
        sockit | sockit_base)
            local bin=$SOCKIT
            [[ $1 == sockit_base ]] && bin=$SOCKIT_BASELINE
            server_argv=("$bin" echo --tcp --bind 127.0.0.1 --port "$2" --max-connections 1000000)
            [[ -n $SOCKIT_ENGINE ]] && server_argv+=(--engine "$SOCKIT_ENGINE")
            ;;
        # proto serve (bench/proto_engines.sh), on the engine named; no connection cap, which would
        # keep it off the completion path.
        proto_epoll | proto_uring)
            server_argv=("$SOCKIT" proto serve --bind 127.0.0.1 --port "$2" --engine "${1#proto_}") ;;
        # sockit relay to the echo server on 127.0.0.1:$relay_target (bench/relay_engines.sh).
        relay_epoll | relay_uring)
            server_argv=("$SOCKIT" relay --engine "${1#relay_}" --max-conns 1000000 "$2" "127.0.0.1:$relay_target") ;;
        sockit_epoll | sockit_uring)
            server_argv=("$SOCKIT" echo --tcp --bind 127.0.0.1 --port "$2" --max-connections 1000000 --engine "${1#sockit_}") ;;
        *) return 1 ;;
    esac
    return 0
}

bench_pids=()
forget_pid() {   # pid: no longer ours to kill (it has been waited for)
    local keep=() p
    for p in "${bench_pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
    bench_pids=("${keep[@]}")
}
bench_cleanup() {
    local pid
    for pid in "${bench_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${bench_pids[@]}"; do
        # Bounded: a server that ignores SIGTERM for 2 s gets SIGKILL.
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    bench_pids=()
}

# True once something accepts TCP connections on 127.0.0.1:PORT.
port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
# True once a UDP socket is bound to PORT on 127.0.0.1 (or the wildcard).
udp_bound() { ss -ulnH "sport = :$1" 2>/dev/null | grep -q .; }

# Start server NAME on PORT, optionally pinned (CPU list as for taskset -c; empty: not pinned).
# Sets server_pid. Fails if the port is already taken or the server is not listening within 5 s.
# taskset execs the server, so $! is the server's own PID (what --server-pid and /proc need).
start_server() {   # name port [cpus] [logfile]
    local name=$1 port=$2 cpus=${3:-} log=${4:-/dev/null}
    server_cmd "$name" "$port" || { echo "unknown server $name" >&2; return 1; }
    local ready=port_open
    bench_is_udp "$name" && ready=udp_bound
    if $ready "$port"; then
        echo "port $port already in use" >&2
        return 1
    fi
    if [[ -n $cpus ]]; then
        taskset -c "$cpus" "${server_argv[@]}" >"$log" 2>&1 </dev/null &
    else
        "${server_argv[@]}" >"$log" 2>&1 </dev/null &
    fi
    server_pid=$!
    bench_pids+=("$server_pid")

    for _ in $(seq 50); do
        $ready "$port" && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$name did not start listening on 127.0.0.1:$port (log: $log)" >&2
    stop_server "$server_pid"
    return 1
}

# SIGTERM, wait at most 5 s, then SIGKILL. Sets server_status to the exit status (137: it was killed).
# Not to be called in $(...): only the shell that started the server can wait for it.
stop_server() {   # pid
    local pid=$1 status=0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || status=$?
    forget_pid "$pid"
    server_status=$status
}

# The median of the numbers on stdin (one per line, or separated by spaces).
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# rep_args SCRIPT HELP_LINES ARGS...: --reps N, --time SECS, --cases A,B (into reps, secs and cases, which
# keep the caller's defaults otherwise) and -h/--help (the script's comment lines 2..HELP_LINES).
rep_args() {
    local script=$1 help=$2
    shift 2
    while (($#)); do
        case $1 in
            --reps) reps=$2; shift ;;
            --time) secs=$2; shift ;;
            --cases) cases=${2//,/ }; shift ;;
            -h|--help) sed -n "2,${help}p" "$script" | sed 's/^# \{0,1\}//'; exit 0 ;;
            *) echo "$(basename "$script"): unknown argument $1" >&2; exit 2 ;;
        esac
        shift
    done
}

# need_tools SCRIPT: one line and exit 1 unless jq is installed and $SOCKIT is built.
need_tools() {
    command -v jq >/dev/null || { echo "$1: needs jq" >&2; exit 1; }
    [ -x "$SOCKIT" ] || { echo "$1: no sockit binary at $SOCKIT (build the release preset)" >&2; exit 1; }
}

# A port below the ephemeral range (32768+ by default), so a load generator's own source ports never
# collide with it.
pick_port() { echo $((20000 + RANDOM % 12000)); }

# Kilobytes from a /proc/PID/status field (VmRSS, VmHWM); empty if the process is gone.
proc_kb() {   # pid field
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# engine_pairs FMT: for each case in $cases, $reps runs on each engine, epoll then uring, the order
# swapped every repetition, each run `measure ENGINE CASE` (the caller's: one fresh run, setting
# m_cpu and m_rate; it runs in this shell, so the servers it starts are waited for). Prints a table
# row per case: the medians of m_cpu (printf FMT), uring / epoll, the per-rep ratios, the median
# rates.
engine_pairs() {
    local fmt=$1 c r eng
    for c in $cases; do
        local ep=() ur=() epr=() urr=() ratios=()
        for ((r = 1; r <= reps; r++)); do
            local order="epoll uring" cpu_epoll="" cpu_uring=""
            ((r % 2 == 0)) && order="uring epoll"
            for eng in $order; do
                measure "$eng" "$c"
                echo "$c rep $r $eng: CPU $m_cpu us, $m_rate per second" >&2
                if [ "$eng" = epoll ]; then cpu_epoll=$m_cpu ep+=("$m_cpu") epr+=("$m_rate"); else cpu_uring=$m_cpu ur+=("$m_cpu") urr+=("$m_rate"); fi
            done
            ratios+=("$(awk -v a="$cpu_uring" -v b="$cpu_epoll" 'BEGIN { printf "%.2f", a / b }')")
        done
        local me mu
        me=$(printf '%s\n' "${ep[@]}" | median)
        mu=$(printf '%s\n' "${ur[@]}" | median)
        printf "| %s | $fmt | $fmt | %.2f× | %s | %.0f, %.0f |\n" "$c" "$me" "$mu" "$(awk -v a="$mu" -v b="$me" 'BEGIN { print a / b }')" \
            "${ratios[*]}" "$(printf '%s\n' "${epr[@]}" | median)" "$(printf '%s\n' "${urr[@]}" | median)"
    done
}

#!/usr/bin/env bash
# Smoke test of the reference echo servers: build them (bench/build-refs.sh), then for each one check that
# a short message and SMOKE_BYTES (default 1 MiB) of random data come back byte-exact over 127.0.0.1, that
# it survives a peer resetting the connection with echo still queued, and that SIGTERM ends it with
# status 0. Prints one line per check and 'N passed, N failed' last; exit 1 on
# any failure.
#
#   bench/smoke.sh                 # the four references
#   bench/smoke.sh --sockit        # also `sockit echo --engine epoll` ($SOCKIT, default build/release/sockit)
#   SMOKE_BYTES=10485760 bench/smoke.sh
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

servers=(epoll_ref asio libevent libuv)
[[ ${1:-} == --sockit ]] && servers+=(sockit)
bytes=${SMOKE_BYTES:-1048576}

"$here/build-refs.sh" || { echo "smoke: building the reference servers failed"; exit 1; }
command -v nc >/dev/null || { echo "smoke: needs nc (netcat-openbsd)"; exit 1; }

tmp=$(mktemp -d)
trap 'bench_cleanup; rm -rf "$tmp"' EXIT
head -c "$bytes" /dev/urandom >"$tmp/in"

passed=0 failed=0
check() {   # description, then the command that must succeed
    local what=$1
    shift
    if "$@"; then
        echo "ok   $what"
        passed=$((passed + 1))
    else
        echo "FAIL $what"
        failed=$((failed + 1))
    fi
}

# nc -N half-closes after its input; the server echoes the rest, sees EOF and closes, and nc exits.
round_trip() {   # port infile outfile
    timeout 30 nc -N 127.0.0.1 "$1" <"$2" >"$3" 2>/dev/null && cmp -s "$2" "$3"
}

# A peer that floods the server without reading, then closes: the close resets the connection while echo is
# still queued, so the server's next write fails (EPIPE/ECONNRESET). It must survive that (no SIGPIPE death).
reset_with_echo_pending() {   # port
    (
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        timeout 1 head -c 8388608 /dev/urandom >&3
        exit 0
    ) 2>/dev/null
    sleep 0.3
}

for name in "${servers[@]}"; do
    started=0
    for _ in 1 2 3 4 5; do
        port=$(pick_port)
        if start_server "$name" "$port" "" "$tmp/$name.log"; then started=1; break; fi
    done
    check "$name: listening on 127.0.0.1:$port" test "$started" = 1
    ((started)) || continue
    printf 'hello\n' >"$tmp/hello"
    check "$name: 'hello' echoed" round_trip "$port" "$tmp/hello" "$tmp/hello.out"
    check "$name: $bytes random bytes echoed byte-exact" round_trip "$port" "$tmp/in" "$tmp/out"
    reset_with_echo_pending "$port"
    check "$name: survives a peer that resets with echo pending" kill -0 "$server_pid"
    check "$name: still echoes after that reset" round_trip "$port" "$tmp/hello" "$tmp/hello.out"
    stop_server "$server_pid"
    check "$name: SIGTERM exits with status 0 (got $server_status)" test "$server_status" = 0
done

echo "$passed passed, $failed failed"
((failed == 0))

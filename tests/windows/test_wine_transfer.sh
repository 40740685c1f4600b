#!/usr/bin/env bash
# 50 MB of random bytes across the platform line through sockit.exe connect and listen under Wine,
# with Linux nc at the other end, byte-exact in both directions for each command:
#   connect: its stdin to nc -l, and nc -l's file to its stdout;
#   listen:  nc's file to its stdout, and its stdin to nc.
# (stdin and stdout are Wine's view of the pipes and files given here: binary, no CRLF or ^Z.)
# Wine 8.0 gap: once a socket has shut down its sending side, recv says end-of-stream as soon as
# nothing is queued, and from then on (real Windows keeps receiving). sockit half-closes at
# stdin's end, so where sockit.exe receives, its stdin stays open until the 50 MB are in.
# Usage: test_wine_transfer.sh SOCKIT_EXE
set -u
exe=$1
command -v nc >/dev/null || { echo "SKIP: needs nc (netcat-openbsd; scripts/deps.sh test)"; exit 0; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -s "$work/err" ] && sed 's/^/  sockit.exe: /' "$work/err"; exit 1; }
size=$((50 * 1000 * 1000))
head -c "$size" /dev/urandom >"$work/in"
# Stdin that ends once FILE holds the whole transfer.
hold_until_full() { while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$size" ]; do sleep 0.1; done; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_listen() {  # nc -l has no "listening" line: wait until the port takes a connection attempt
  for _ in $(seq 100); do
    ss -Htln "sport = :$1" | grep -q . && return 0
    sleep 0.05
  done
  return 1
}
same() { cmp -s "$work/in" "$1" || fail "$2: $(stat -c %s "$1") bytes arrived, not the $size sent (or they differ)"; }

# connect: stdin -> nc -l
port=$(free_port)
nc -l 127.0.0.1 "$port" >"$work/out1" &
pids+=($!)
wait_listen "$port" || fail "nc -l never listened"
start=$(date +%s.%N)
timeout 120 "$here/wine.sh" "$exe" connect 127.0.0.1 "$port" <"$work/in" >/dev/null 2>"$work/err" || fail "connect (sending) exited $?"
wait "${pids[-1]}"
same "$work/out1" "connect: stdin -> nc -l"
echo "ok: sockit.exe connect sent 50 MB to nc -l ($(python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)") s)"

# connect: nc -l -> stdout
port=$(free_port)
nc -N -l 127.0.0.1 "$port" <"$work/in" &
pids+=($!)
wait_listen "$port" || fail "nc -l never listened"
: >"$work/out2"
hold_until_full "$work/out2" | timeout 120 "$here/wine.sh" "$exe" connect 127.0.0.1 "$port" >"$work/out2" 2>"$work/err" ||
  fail "connect (receiving) exited $?"
same "$work/out2" "connect: nc -l -> stdout"
echo "ok: sockit.exe connect received 50 MB from nc -l"

# listen: nc -> stdout
port=$(free_port)
: >"$work/out3"
hold_until_full "$work/out3" | "$here/wine.sh" "$exe" listen 127.0.0.1 "$port" >"$work/out3" 2>"$work/err" &
pid=$!
pids+=("$pid")
for _ in $(seq 150); do grep -q "listening on" "$work/err" && break; sleep 0.1; done
timeout 120 nc -N 127.0.0.1 "$port" <"$work/in" >/dev/null || fail "nc to sockit.exe listen failed"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid" || fail "listen (receiving) exited $?"
same "$work/out3" "listen: nc -> stdout"
echo "ok: sockit.exe listen received 50 MB from nc"

# listen: stdin -> nc
port=$(free_port)
"$here/wine.sh" "$exe" listen 127.0.0.1 "$port" <"$work/in" >/dev/null 2>"$work/err" &
pid=$!
pids+=("$pid")
for _ in $(seq 150); do grep -q "listening on" "$work/err" && break; sleep 0.1; done
timeout 120 nc -d 127.0.0.1 "$port" >"$work/out4" || fail "nc from sockit.exe listen failed"
for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid" || fail "listen (sending) exited $?"
same "$work/out4" "listen: stdin -> nc"
echo "ok: sockit.exe listen sent 50 MB to nc"

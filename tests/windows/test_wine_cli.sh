#!/usr/bin/env bash
# sockit.exe, the Windows CLI, under Wine against Linux peers over 127.0.0.1 (Wine's Winsock is
# the host's sockets):
#   - echo on each Windows engine serves nc (2 MB byte-exact) and the Linux `sockit bench` (iocp:
#     TCP on completions; with --idle-timeout on readiness, one line says why), and
#     Ctrl+C (kill -INT on the Wine process, a CTRL_C_EVENT) drains and prints the totals, exit 0;
#     its UDP side answers the Linux `sockit udp send`;
#   - proto across the line both ways: Linux `proto serve` called by `sockit.exe proto call`, and
#     `sockit.exe proto serve` called by the Linux `proto call`;
#   - udp send, probe and bench from sockit.exe against the Linux echo server;
#   - what Windows lacks answers one line and exit 2: a
#     unix: address, --tls, --exec.
# The 50 MB transfers through connect/listen are test_wine_transfer.sh.
# Usage: test_wine_cli.sh SOCKIT_EXE LINUX_SOCKIT
set -u
exe=$1 lin=$2
[ -x "$lin" ] || { echo "SKIP: needs the Linux build's sockit at $lin (cmake --build --preset release first)"; exit 0; }
command -v nc >/dev/null || { echo "SKIP: needs nc (netcat-openbsd; scripts/deps.sh test)"; exit 0; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.err; do [ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f"; done; exit 1; }
win() { timeout 60 "$here/wine.sh" "$exe" "$@"; }

# The port a server announced on stderr ("sockit: listening on 127.0.0.1:PORT (tcp) ...").
port_of() {
  local file=$1 proto=${2:-tcp} p=
  for _ in $(seq 150); do
    p=$(sed -n "s/^sockit: listening on 127\.0\.0\.1:\([0-9]*\) ($proto).*/\1/p" "$file" | head -1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  return 1
}

# Ends a server with Ctrl+C and checks that it drained: exit 0 within 10 s, its totals (a line
# matching TOTALS) printed.
stop_server() {
  local pid=$1 name=$2 out=$3 totals=$4
  kill -INT "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "$name: still running 10 s after Ctrl+C"
  wait "$pid"
  local rc=$?
  [ "$rc" -eq 0 ] || fail "$name: exit $rc after Ctrl+C"
  grep -Eq "$totals" "$out" || fail "$name: no totals after Ctrl+C: $(cat "$out")"
}

head -c 2000000 /dev/urandom >"$work/in"

# --- echo on every Windows engine -------------------------------------------------------------
for engine in iocp wsapoll select; do
  # The last run's file goes first: the redirection below truncates it only once the child runs,
  # and port_of could read the last server's port before that.
  rm -f "$work/echo.out" "$work/echo.err"
  "$here/wine.sh" "$exe" -v echo --port 0 --engine "$engine" >"$work/echo.out" 2>"$work/echo.err" &
  pid=$!
  pids+=("$pid")
  port=$(port_of "$work/echo.err") || fail "$engine: echo never said where it listens"
  timeout 30 nc -N 127.0.0.1 "$port" <"$work/in" >"$work/back" || fail "$engine: nc failed"
  cmp -s "$work/in" "$work/back" || fail "$engine: 2 MB came back different ($(stat -c %s "$work/back") bytes)"
  timeout 30 "$lin" bench "127.0.0.1:$port" --json -c 4 -d 2 -s 1024 -t 1 --warmup 0.2 >"$work/bench.json" ||
    fail "$engine: Linux sockit bench against sockit.exe echo failed"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["errors"]==0 and r["messages"]>100, r' \
    "$work/bench.json" || fail "$engine: bench result $(cat "$work/bench.json")"
  if [ "$engine" = iocp ]; then
    # The chapter's IOCP server: TCP on completions (AcceptEx, overlapped WSARecv/WSASend).
    grep -q "TCP echo: completions" "$work/echo.err" || fail "echo --engine iocp did not serve TCP on completions"
    uport=$(port_of "$work/echo.err" udp) || fail "echo never said where UDP listens"
    reply=$(timeout 10 "$lin" udp send "127.0.0.1:$uport" hello-windows 2>&1) || fail "udp send to sockit.exe echo: $reply"
    echo "$reply" | grep -q "hello-windows" || fail "udp echo reply: $reply"
  fi
  stop_server "$pid" "echo --engine $engine" "$work/echo.out" "^echo +tcp +[1-9][0-9]* "
  echo "ok: sockit.exe echo --engine $engine: nc 2 MB byte-exact, Linux bench $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"])' "$work/bench.json") echoes, Ctrl+C totals"
done
# What the completion server lacks (an idle timer) keeps TCP on the readiness engine, and says so.
rm -f "$work/echo.out" "$work/echo.err"
"$here/wine.sh" "$exe" -v echo --tcp --port 0 --engine iocp --idle-timeout 30 >"$work/echo.out" 2>"$work/echo.err" &
pid=$!
pids+=("$pid")
port=$(port_of "$work/echo.err") || fail "echo --idle-timeout never said where it listens"
grep -q "readiness engine, not completions: --idle-timeout" "$work/echo.err" ||
  fail "echo --engine iocp --idle-timeout did not say why it is not on completions: $(cat "$work/echo.err")"
out=$(printf 'idle\n' | timeout 10 nc -N 127.0.0.1 "$port") || fail "nc against echo --idle-timeout"
[ "$out" = idle ] || fail "echo --idle-timeout answered '$out'"
stop_server "$pid" "echo --idle-timeout" "$work/echo.out" "^echo +tcp +1 "
echo "ok: sockit.exe echo --engine iocp --idle-timeout: on the readiness engine, one line says why"

# --- sockit.exe as the client of a Linux echo server --------------------------------------------
"$lin" echo --port 0 >"$work/lecho.out" 2>"$work/lecho.err" &
pids+=($!)
lport=$(port_of "$work/lecho.err") || fail "Linux echo never said where it listens"
luport=$(port_of "$work/lecho.err" udp) || fail "Linux echo never said where UDP listens"
out=$(win udp send "127.0.0.1:$luport" from-windows 2>&1) || fail "sockit.exe udp send exited $?: $out"
echo "$out" | grep -q "from-windows" || fail "sockit.exe udp send printed: $out"
out=$(win --json probe 127.0.0.1 "$lport" 2>&1) || fail "sockit.exe probe exited $?: $out"
echo "$out" | grep -q '"open"' || fail "sockit.exe probe did not find the port open: $out"
out=$(win bench "127.0.0.1:$lport" --json -c 2 -d 2 -t 1 --warmup 0.2 2>"$work/wbench.err") || fail "sockit.exe bench exited $?"
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["errors"]==0 and r["messages"]>100, r' "$out" ||
  fail "sockit.exe bench: $out"
echo "ok: sockit.exe udp send, probe and bench against the Linux echo server"

# --- proto across the line ----------------------------------------------------------------------
"$lin" proto serve --port 0 >"$work/lproto.out" 2>"$work/lproto.err" &
pids+=($!)
pport=$(port_of "$work/lproto.err") || fail "Linux proto serve never said where it listens"
out=$(win proto call "127.0.0.1:$pport" echo across-the-line 2>&1) || fail "sockit.exe proto call exited $?: $out"
echo "$out" | grep -q "across-the-line" || fail "sockit.exe proto call printed: $out"
out=$(printf 'echo one\ntime\nquit\n' | win proto call "127.0.0.1:$pport" 2>&1) || fail "sockit.exe proto call < stdin exited $?: $out"
echo "$out" | grep -q "one" || fail "sockit.exe proto call from stdin printed: $out"

"$here/wine.sh" "$exe" proto serve --port 0 >"$work/wproto.out" 2>"$work/wproto.err" &
pid=$!
pids+=("$pid")
wport=$(port_of "$work/wproto.err") || fail "sockit.exe proto serve never said where it listens"
out=$(timeout 20 "$lin" --json proto call "127.0.0.1:$wport" ping --count 3 --interval 0.05 2>&1) ||
  fail "Linux proto call to sockit.exe proto serve exited $?: $out"
echo "$out" | grep -q '"received": *3\|"received":3' || fail "Linux proto call --count 3: $out"
stop_server "$pid" "proto serve" "$work/wproto.out" "^proto: 1 connection\(s\), 3 request\(s\), 0 bad"
echo "ok: proto both ways across the platform line (sockit.exe call -> Linux serve, Linux call -> sockit.exe serve)"

# --- what Windows does not have: one line, exit 2 -----------------------------------------------
expect_usage() {
  local what=$1 pattern=$2
  shift 2
  local out rc
  out=$(win "$@" 2>&1 </dev/null)
  rc=$?
  [ "$rc" -eq 2 ] || fail "$what: exit $rc, not 2: $out"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "$what: more than one line: $out"
  echo "$out" | grep -q -e "$pattern" || fail "$what: '$out' does not say '$pattern'"
}
expect_usage "echo unix:" "Unix sockets are not available on Windows" echo unix:/tmp/sockit-win.sock
expect_usage "echo --tls" "not available on Windows" echo --tls --tls-cert "$work/in" --tls-key "$work/in"
expect_usage "connect --exec" "--exec: not available on Windows" connect --exec cmd.exe 127.0.0.1 "$lport"
echo "ok: unix:, --tls and --exec answer 'not available on Windows' with exit 2"

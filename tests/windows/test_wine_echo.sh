#!/usr/bin/env bash
# Across the platform line, over 127.0.0.1: the Windows build of the event-driven echo server
# (examples/echo_server, echo_server.exe under Wine) serves Linux peers on each Windows engine
# (iocp, wsapoll, select) and in its --completion mode (sockit::iocp_echo_server) — nc with 2 MB
# of random bytes (byte-exact back), Linux `sockit bench` (echoes, no errors) — and stops
# gracefully on Ctrl+C (kill -INT on the Wine process: Wine delivers it as CTRL_C_EVENT).
# Usage: test_wine_echo.sh ECHO_SERVER_EXE [LINUX_SOCKIT]
set -u
exe=$1 linux_sockit=${2:-}
if [ -n "$linux_sockit" ] && [ ! -x "$linux_sockit" ]; then
  echo "SKIP: needs the Linux build's sockit at $linux_sockit (cmake --build --preset release first)"
  exit 0
fi
command -v nc >/dev/null || { echo "SKIP: needs nc (netcat-openbsd; scripts/deps.sh test)"; exit 0; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$work/out" ] && sed 's/^/  server: /' "$work/out"; exit 1; }

head -c 2000000 /dev/urandom >"$work/in"
# "completion" is echo_server --completion: sockit::iocp_echo_server (AcceptEx, WSARecv/WSASend).
for engine in iocp wsapoll select completion; do
  if [ "$engine" = completion ]; then
    args=(--completion) says="(engine iocp, completions)"
  else
    args=(--engine "$engine") says="(engine $engine)"
  fi
  # Emptied here, not by the child's redirect: the loop below could otherwise read the previous
  # engine's line (its port, its engine) before the new server's shell truncates the file.
  : >"$work/out"
  "$here/wine.sh" "$exe" "${args[@]}" >"$work/out" 2>&1 &
  server=$!
  port=
  for _ in $(seq 100); do
    # The whole line, closing parenthesis included: Wine may flush it in pieces, and a half line
    # would name half an engine.
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) (engine [^)]*).*/\1/p' "$work/out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || fail "$engine: the server never said it was listening"
  grep -qF "$says" "$work/out" || fail "$engine: wrong engine"

  timeout 30 nc -N 127.0.0.1 "$port" <"$work/in" >"$work/back" || fail "$engine: nc failed"
  cmp -s "$work/in" "$work/back" || fail "$engine: 2 MB came back different ($(stat -c %s "$work/back") bytes)"

  if [ -n "$linux_sockit" ]; then
    timeout 30 "$linux_sockit" bench "127.0.0.1:$port" --json -c 4 -d 2 -s 1024 -t 1 --warmup 0.2 >"$work/bench.json" ||
      fail "$engine: sockit bench against the Windows server failed"
    python3 - "$work/bench.json" "$engine" <<'PY' || fail "$engine: bench result"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["errors"] == 0, r
assert r["messages"] > 100, r
print(f"{sys.argv[2]}: Linux sockit bench -> Windows echo_server: {r['messages']} echoes, 0 errors")
PY
  fi

  kill -INT "$server"
  for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$server" 2>/dev/null && fail "$engine: still running 10 s after Ctrl+C"
  wait "$server"
  rc=$?
  server=
  [ "$rc" -eq 0 ] || fail "$engine: exit $rc after Ctrl+C"
  grep -q "^stopped: [1-9][0-9]* connections, [0-9]* bytes echoed" "$work/out" || fail "$engine: no totals after Ctrl+C"
  echo "$engine: $(tail -1 "$work/out")"
done
echo "ok"

#!/usr/bin/env bash
# --idle-timeout SECS closes a slowloris-style connection that sends nothing for SECS (give or take
# one tick of the timer wheel), and leaves alone one that keeps talking; the closed one counts in
# DROPPED. Every engine, echo and serve.
. "$SOCKIT_TEST_LIB"
need python3

for run in echo:epoll echo:poll echo:select serve:epoll serve:poll serve:select; do
  cmd=${run%%:*} eng=${run#*:}
  if [ "$cmd" = echo ]; then
    rm -f "$TMP/err"  # not the last server's listening line
    bg "$SOCKIT" echo --tcp --port 0 --engine "$eng" --idle-timeout 1 >"$TMP/out" 2>"$TMP/err"
  else
    rm -f "$TMP/err"  # not the last server's listening line
    bg "$SOCKIT" serve --tcp --services echo --echo-port 0 --engine "$eng" --idle-timeout 1 >"$TMP/out" 2>"$TMP/err"
  fi
  SERVER=$BG_PID
  listening_port P "$TMP/err" tcp echo
  # silent: connects and sends nothing; active: sends a byte every 0.3 s for 2.5 s.
  res=$(timeout 20 python3 - "$P" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
silent = socket.create_connection(("127.0.0.1", port))
active = socket.create_connection(("127.0.0.1", port))
t0 = time.monotonic()
silent.settimeout(0.05)
closed_at = None
while time.monotonic() - t0 < 2.5:
    active.sendall(b"x"); active.settimeout(1); active.recv(16)
    try:
        if closed_at is None and silent.recv(1) == b"":
            closed_at = time.monotonic() - t0
    except socket.timeout:
        pass
    time.sleep(0.25)
active.sendall(b"y"); active.settimeout(1)
alive = active.recv(16) == b"y"
print("closed_at=%s active_alive=%s" % (closed_at and round(closed_at, 2), alive))
PY
)
  eng="$cmd $eng"
  echo "$eng: $res"
  case $res in *"active_alive=True"*) ;; *) fail "$eng: the active connection was closed: $res";; esac
  at=$(sed -n 's/.*closed_at=\([0-9.]*\).*/\1/p' <<<"$res")
  [ -n "$at" ] || fail "$eng: the silent connection was not closed after 1 s of idleness: $res"
  [ -n "$at" ] && ! awk -v t="$at" 'BEGIN { exit !(t >= 0.95 && t <= 1.8) }' && fail "$eng: silent closed at ${at}s, expected ~1 s"
  kill -TERM "$SERVER"; wait "$SERVER"; RC=$?
  expect_rc 0 "$eng: after SIGTERM"
  dropped=$(awk 'NF == 8 && $1 == "echo" && $2 == "tcp" {print $7}' "$TMP/out")
  expect_eq "$dropped" "1" "$eng: DROPPED counts the idle close"
done

# serve: with no --idle-timeout (the default) an idle connection stays.
rm -f "$TMP/err"  # not the last server's listening line
bg "$SOCKIT" serve --tcp --services echo --echo-port 0 >"$TMP/out" 2>"$TMP/err"
SERVER=$BG_PID
listening_port P "$TMP/err" tcp echo
res=$(timeout 10 python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $P)); time.sleep(1.5)
s.sendall(b'hi'); s.settimeout(2); print(s.recv(16).decode())")
expect_eq "$res" "hi" "serve without --idle-timeout keeps an idle connection"
kill -INT "$SERVER"; wait "$SERVER"; RC=$?
expect_rc 0 "serve after SIGINT"
finish

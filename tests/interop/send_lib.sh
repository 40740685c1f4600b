# Shared by the test_send_*.sh scripts (sourced after lib.sh): starting a receiver and a relay on
# port 0 and reading their ports back, making files.

# start_recv VAR ERR OUT ARGS...: `sockit recv 0 ARGS...` in the background (stdout in OUT, stderr
# in ERR), its port in VAR, its PID in RECV.
start_recv() {
  local var=$1 err=$2 out=$3
  shift 3
  bg "$SOCKIT" "$@" >"$out" 2>"$err"
  RECV=$BG_PID
  listening_port "$var" "$err" tcp
}

# start_relay VAR TARGET_PORT ARGS...: transfer_relay.py in the background, its port in VAR.
start_relay() {
  local var=$1 target=$2 p=""
  shift 2
  bg python3 "$(dirname "$SOCKIT_TEST_LIB")/transfer_relay.py" "$target" "$@" >"$TMP/relay.out" 2>"$TMP/relay.err"
  RELAY=$BG_PID
  for _ in $(seq 100); do
    p=$(sed -n 's/^relay port \([0-9]*\)$/\1/p' "$TMP/relay.out")
    [ -n "$p" ] && break
    sleep 0.1
  done
  [ -n "$p" ] || die "relay did not start: $(cat "$TMP/relay.err")"
  printf -v "$var" '%s' "$p"
}

# wait_exit PID SECS: waits up to SECS for PID to exit and sets RC to its status (124: still running).
wait_exit() {
  local i
  for i in $(seq $(( $2 * 10 ))); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then RC=124; return; fi
  wait "$1"; RC=$?
}

# random_file PATH BYTES
random_file() { head -c "$2" /dev/urandom >"$1"; }

# expect_no_file PATH WHAT
expect_no_file() { [ ! -e "$1" ] || fail "$2: $1 exists"; }

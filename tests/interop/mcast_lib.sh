# Helpers for the test_mcast_*.sh scripts, sourced after lib.sh and make_lan.

# mrecv NS NAME ARGS...: starts `sockit mcast recv ARGS` in NS (stdout $TMP/NAME.out, stderr
# $TMP/NAME.err, PID in $NAME) and waits for its "listening on" line, printed once it has joined.
mrecv() {
  local ns=$1 name=$2 port; shift 2
  bg ip netns exec "$ns" "$SOCKIT" mcast recv "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  printf -v "$name" '%s' "$BG_PID"
  listening_port port "$TMP/$name.err" udp
}

# msend NS ARGS...: `sockit mcast send ARGS` in NS; the test fails unless it exits 0.
msend() {
  local ns=$1; shift
  ip netns exec "$ns" timeout 10 "$SOCKIT" mcast send "$@" 2>"$TMP/send.err" \
    || fail "mcast send $* in $ns: exit $? ($(head -c 300 "$TMP/send.err"))"
}

# finished PID WHAT CODE: waits up to 10 s for PID to exit and checks its exit code (in RC).
# (Name receivers anything but RC, which run and finished set.)
finished() {
  [ "${1:-0}" -gt 1 ] 2>/dev/null || die "finished: '$1' is not a PID"
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$1" 2>/dev/null && { fail "$2: still running after 10 s"; kill "$1"; }
  wait "$1"; RC=$?
  [ "$RC" -eq "$3" ] || fail "$2: expected exit $3, got $RC"
}

#!/usr/bin/env bash
# sockit proto call --heartbeat: PINGs an idle connection and reports a dead peer. Inside a test
# network namespace, once the connection is up and heartbeats are answered, an nftables rule makes
# every packet of the connection vanish: the client must say the peer is dead and exit 1 within
# about two intervals (no sleep-based fake: the server process is alive, the network is not).
# Second case: a request is in flight when the packets start vanishing; the heartbeat interval
# still bounds the wait (not -w, set here to 30 s).
. "$SOCKIT_TEST_LIB"
need nft
make_netns
bg ip netns exec "$NS" "$SOCKIT" proto serve --port 0 >/dev/null 2>"$TMP/server.err"
listening_port P "$TMP/server.err" tcp proto
ip netns exec "$NS" nft add table inet t || skip "nftables unavailable in the namespace"
ip netns exec "$NS" nft add chain inet t in '{ type filter hook input priority 0; }'

# Every packet of the server's port vanishes from now on.
vanish() {
  ip netns exec "$NS" nft add rule inet t in tcp dport "$P" drop
  ip netns exec "$NS" nft add rule inet t in tcp sport "$P" drop
}
# await_exit PID: waits up to 10 s for the client to exit; sets RC and elapsed (ms since the call).
await_exit() {
  local start
  start=$(date +%s%N)
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  wait "$1"; RC=$?
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
}

# The client's stdin: a FIFO held open read-write here, so the client sees no EOF: it is idle, not
# finished (opening a FIFO read-write never blocks on Linux).
mkfifo "$TMP/in"
exec 3<>"$TMP/in"
# (sh -c: a background command's stdin would otherwise be /dev/null.)
bg sh -c 'exec "$@" <&3' sh ip netns exec "$NS" "$SOCKIT" -vv proto call "127.0.0.1:$P" --heartbeat 0.5 \
  >"$TMP/out" 2>"$TMP/err"
CLIENT=$BG_PID
for _ in $(seq 50); do grep -q "heartbeat answered" "$TMP/err" && break; sleep 0.1; done
expect_contains "$TMP/err" "heartbeat answered" "heartbeats answered while the network works"
kill -0 "$CLIENT" 2>/dev/null || fail "client exited early: $(cat "$TMP/err")"

vanish
await_exit "$CLIENT"
expect_rc 1 "dead peer"
expect_contains "$TMP/err" "is dead: no PONG within 0.5 s" "dead-peer message"
[ "$elapsed" -lt 3000 ] || fail "dead peer noticed after $elapsed ms (interval 0.5 s)"
echo "dead peer noticed after $elapsed ms"

# A request in flight: the network works again, a new client's heartbeats are answered, then the
# drop rules come back and, straight after, an ECHO is sent into the void.
ip netns exec "$NS" nft flush chain inet t in
mkfifo "$TMP/in2"
exec 4<>"$TMP/in2"
bg sh -c 'exec "$@" <&4' sh ip netns exec "$NS" "$SOCKIT" -vv proto call "127.0.0.1:$P" --heartbeat 1 -w 30 \
  >"$TMP/out2" 2>"$TMP/err2"
CLIENT=$BG_PID
for _ in $(seq 50); do grep -q "heartbeat answered" "$TMP/err2" && break; sleep 0.1; done
expect_contains "$TMP/err2" "heartbeat answered" "second client: heartbeats answered"
# Right after an answered heartbeat the next one is a whole interval away: the ECHO goes first.
n=$(grep -c "heartbeat answered" "$TMP/err2")
for _ in $(seq 30); do [ "$(grep -c "heartbeat answered" "$TMP/err2")" -gt "$n" ] && break; sleep 0.05; done
vanish
echo "echo into the void" >&4
await_exit "$CLIENT"
expect_rc 1 "dead peer with a request in flight"
expect_contains "$TMP/err2" "peer 127.0.0.1:$P is dead: no response to 'echo' within 1 s" "dead-peer message, request in flight"
[ "$elapsed" -lt 3000 ] || fail "dead peer (request in flight) noticed after $elapsed ms (interval 1 s, -w 30)"
echo "dead peer with a request in flight noticed after $elapsed ms"
finish

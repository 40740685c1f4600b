#!/usr/bin/env bash
# sockit proto call --count N --interval SECS stopped by SIGINT (Ctrl+C), as ping: the loop stops,
# the statistics are printed, and the exit status is 0 if anything was answered, 1 otherwise
# (iputils). The second case talks to a server that accepts but never answers.
. "$SOCKIT_TEST_LIB"
need python3 jq
bg "$SOCKIT" proto serve --port 0 >/dev/null 2>"$TMP/server.err"
listening_port P "$TMP/server.err" tcp proto

# interrupt OUT ERR ADDR [answered]: start a long --count run, let it go for a while, send SIGINT; sets RC.
interrupt() {
  local out=$1 err=$2 addr=$3 waited=0
  bg "$SOCKIT" proto call "$addr" ping -c 1000 -i 0.1 >"$out" 2>"$err"
  local pid=$BG_PID i=0
  # Let it run until two answers are printed (bounded: 10 s, for a slow sanitizer build on a busy
  # machine); a silent server prints none, so that case waits for the handler, then 0.6 s.
  if [ "${4:-}" = answered ]; then
    while [ "$(grep -c '^OK PONG' "$out" 2>/dev/null)" -lt 2 ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  else
    # Nothing is printed before an answer: wait until the client has taken SIGINT over (a
    # background job starts with it ignored, and a slow start would lose the signal), then a little
    # more so some requests go out.
    wait_signal_taken "$pid" || fail "the client never took SIGINT over"
    sleep 0.6
  fi
  kill -INT "$pid"
  # Bounded wait: a client that ignores SIGINT fails here instead of hanging the test.
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then fail "the client did not stop within 5 s of SIGINT"; kill -9 "$pid"; fi
  wait "$pid"; RC=$?
}

interrupt "$TMP/out" "$TMP/err" "127.0.0.1:$P" answered
expect_rc 0 "interrupted after some answers"
grep -q '^OK PONG  seq=1 ' "$TMP/out" || fail "no answer printed before SIGINT: $(cat "$TMP/out")"
expect_contains "$TMP/out" "^--- 127.0.0.1:$P proto statistics ---$" "summary header"
grep -Eq '^([0-9]+) requests sent, \1 answered, 0% lost$' "$TMP/out" || fail "summary counts: $(tail -3 "$TMP/out")"
sent=$(sed -n 's/^\([0-9]*\) requests sent.*/\1/p' "$TMP/out")
[ "${sent:-0}" -ge 2 ] && [ "${sent:-0}" -lt 1000 ] || fail "sent $sent requests: not stopped mid-run"
expect_contains "$TMP/out" "rtt min/avg/max/p50/p90/p99 = " "rtt line"

# A server that never answers: nothing received, exit 1, still a summary.
bg python3 "$(dirname "$SOCKIT_TEST_LIB")/mute_server.py" >"$TMP/mute.port"
wait_nonempty "$TMP/mute.port"
MP=$(cat "$TMP/mute.port")
interrupt "$TMP/out2" "$TMP/err2" "127.0.0.1:$MP"
expect_rc 1 "interrupted with nothing answered"
grep -Eq '^[0-9]+ requests sent, 0 answered, 100% lost$' "$TMP/out2" || fail "silent server summary: $(cat "$TMP/out2")"

# A stdin that is always readable (/dev/zero: one endless line, refused and skipped): every ppoll
# returns at once with stdin ready, which does not let a blocked signal in. SIGTERM must still stop
# the client (it spun for ever before, until SIGKILL).
bg sh -c 'exec "$@" </dev/zero >/dev/null 2>"$0"' "$TMP/zero.err" "$SOCKIT" proto call "127.0.0.1:$P"
ZP=$BG_PID
wait_signal_taken "$ZP" 15 || fail "proto call < /dev/zero never took SIGTERM over"
wait_match "$TMP/zero.err" "over the limit" || fail "proto call < /dev/zero: no refused line: $(cat "$TMP/zero.err")"
stop_server "$ZP"
expect_eq "$RC" 2 "proto call < /dev/zero stopped by SIGTERM: the refused line's status"

# SIGINT while the connect waits (a listener whose backlog is full drops the SYN): the connect
# gives up at once, one line, exit 1; with --count also the statistics of nothing sent, as ping.
bg python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
held = []
for _ in range(3):
    c = socket.socket(); c.setblocking(False); c.connect_ex(s.getsockname()); held.append(c)
time.sleep(0.2)  # the handshakes done: the backlog is full before anyone learns the port
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$TMP/full.port"
wait_nonempty "$TMP/full.port"
FP=$(cat "$TMP/full.port")
for mode in plain count; do
  extra=(); [ "$mode" = count ] && extra=(-c 3)
  rm -f "$TMP/c.out" "$TMP/c.err"
  bg "$SOCKIT" --json proto call "${extra[@]}" "127.0.0.1:$FP" ping >"$TMP/c.out" 2>"$TMP/c.err"
  cp=$BG_PID
  wait_signal_taken "$cp" || fail "connecting proto call ($mode) never took SIGINT over"
  sleep 0.5  # into the connect's wait
  signal_wait INT "$cp"
  expect_eq "$RC" 1 "proto call ($mode) interrupted while connecting"
  expect_contains "$TMP/c.err" "interrupted: connect 127.0.0.1:$FP did not finish" "proto call ($mode) interrupted while connecting"
  if [ "$mode" = count ]; then
    jq -e '.event == "summary" and .sent == 0 and .received == 0' "$TMP/c.out" >/dev/null \
      || fail "proto call -c 3 interrupted while connecting: no summary: $(cat "$TMP/c.out")"
  else
    expect_eq "$(wc -c <"$TMP/c.out")" 0 "proto call interrupted while connecting: nothing on stdout"
  fi
done

# The same while a --tls handshake waits (a discard port never answers it): at once, not after -w.
bg "$SOCKIT" serve --discard-port 0 --echo-port 0 --daytime-port 0 --chargen-port 0 >/dev/null 2>"$TMP/serve.err"
listening_port DP "$TMP/serve.err" tcp discard
bg "$SOCKIT" proto call --tls --tls-insecure -w 20 "127.0.0.1:$DP" ping >"$TMP/t.out" 2>"$TMP/t.err"
tp=$BG_PID
wait_signal_taken "$tp" || fail "proto call --tls never took SIGINT over"
sleep 0.5  # into the handshake's wait
signal_wait INT "$tp"
expect_eq "$RC" 1 "proto call --tls interrupted in the handshake"
[ "$ELAPSED_MS" -lt 2000 ] || fail "proto call --tls took $ELAPSED_MS ms to stop in its handshake"
expect_contains "$TMP/t.err" "^sockit: interrupted: TLS handshake with 127.0.0.1:$DP did not finish$" "proto call --tls interrupted in the handshake"
expect_lines "$TMP/t.err" 1 "proto call --tls interrupted in the handshake: one line"
finish

#!/usr/bin/env bash
# sockit udp send / recv against socat and against each other: send prints the reply; a reply
# from another port or another address is ignored (connected socket), so it times out with exit 1;
# no server (ICMP port unreachable) gives exit 1 at once; recv prints each datagram with its
# sender, as text, raw bytes or JSON lines, and --count ends it.
. "$SOCKIT_TEST_LIB"
need socat

# send against a socat echo server.
bg_on_free_port P udp socat -T 2 "UDP-RECVFROM:{port},bind=127.0.0.1,fork" EXEC:cat
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send "127.0.0.1:$P" "hello there"
expect_rc 0 "udp send to socat echo"
expect_eq "$(cat "$TMP/out")" "hello there" "udp send reply"
# Binary payload from stdin, byte-exact.
head -c 1200 /dev/urandom >"$TMP/bin"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send "127.0.0.1:$P" <"$TMP/bin"
expect_rc 0 "udp send of stdin"
cmp -s "$TMP/bin" "$TMP/out" || fail "binary datagram not echoed byte-exact"
# --json
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json udp send "127.0.0.1:$P" hello
expect_eq "$(cat "$TMP/out")" "{\"from\":\"127.0.0.1:$P\",\"size\":5,\"data\":\"hello\"}" "udp send --json"

# --wait 0: send only. Exit 0 at once, nothing printed, and the datagram arrives.
bg_on_free_port S udp socat -u "UDP-RECV:{port},bind=127.0.0.1" "OPEN:$TMP/sent_only,creat"
start_ms=$(date +%s%3N)
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send -w 0 "127.0.0.1:$S" "fire and forget"
expect_rc 0 "udp send -w 0"
[ -s "$TMP/out" ] && fail "udp send -w 0 printed: $(cat "$TMP/out")"
[ $(( $(date +%s%3N) - start_ms )) -lt 900 ] || fail "udp send -w 0 waited"
wait_nonempty "$TMP/sent_only" || fail "the datagram sent with -w 0 did not arrive"
expect_eq "$(cat "$TMP/sent_only")" "fire and forget" "udp send -w 0 payload"

# A reply from another port (socat answers from a fresh socket) is ignored: timeout, exit 1.
# (A script file: socat would split an inline SYSTEM command at its colons and commas.)
cat >"$TMP/other_port.sh" <<'SH'
echo wrong | socat -u - "UDP-SENDTO:127.0.0.1:$SOCAT_PEERPORT" && echo sent >>"$SPOOF_LOG"
SH
export SPOOF_LOG="$TMP/spoof.log"
bg_on_free_port Q udp socat "UDP-RECVFROM:{port},bind=127.0.0.1,fork" "SYSTEM:sh $TMP/other_port.sh"
start=$SECONDS
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send --wait 1 "127.0.0.1:$Q" hi
expect_rc 1 "reply from another port"
[ -s "$TMP/out" ] && fail "printed a reply from another port: $(cat "$TMP/out")"
expect_lines "$TMP/err" 1 "timeout stderr"
expect_contains "$TMP/err" "no reply within 1 s" "timeout message"
[ $((SECONDS - start)) -le 4 ] || fail "--wait 1 took $((SECONDS - start)) s"
# A reply from the right port but another address (127.0.0.2) is ignored too.
cat >"$TMP/other_addr.sh" <<'SH'
echo spoof | socat -u - "UDP-SENDTO:127.0.0.1:$SOCAT_PEERPORT,bind=127.0.0.2:$SPOOF_PORT" && echo sent >>"$SPOOF_LOG"
SH
# SPOOF_PORT: the port socat listens on, known only once a free one is found.
bg_on_free_port R udp env SPOOF_PORT={port} socat "UDP-RECVFROM:{port},bind=127.0.0.1,fork" "SYSTEM:sh $TMP/other_addr.sh"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send -w 1 "127.0.0.1:$R" hi
expect_rc 1 "reply from another address"
[ -s "$TMP/out" ] && fail "printed a reply from another address: $(cat "$TMP/out")"
# Both impostors really answered (else the two checks above would prove nothing).
expect_eq "$(grep -c sent "$SPOOF_LOG" 2>/dev/null)" "2" "impostor replies sent"

# Nothing listens: ICMP port unreachable comes back as ECONNREFUSED, exit 1, no waiting.
Z=$(free_port udp)
start=$SECONDS
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send -w 5 "127.0.0.1:$Z" hi
expect_rc 1 "udp send to a closed port"
expect_lines "$TMP/err" 1 "refused stderr"
expect_contains "$TMP/err" "ECONNREFUSED" "refused message"
[ $((SECONDS - start)) -le 2 ] || fail "refusal took $((SECONDS - start)) s (should not wait for --wait)"
# Usage errors.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send "127.0.0.1:70000" hi
expect_rc 2 "udp send to port 70000"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send "::1:80" hi
expect_rc 2 "udp send to an unbracketed IPv6 address"
# Port 0 is no destination (as in connect): a usage error before any socket, in every spelling.
for t in 127.0.0.1:0 '[::1]:0' 0; do
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send "$t" x
  expect_rc 2 "udp send to $t"
  expect_lines "$TMP/err" 1 "udp send to $t stderr"
  expect_contains "$TMP/err" "bad port '0'" "udp send to $t message"
done

# recv: datagrams from socat, labelled with the sender.
rm -f "$TMP/recv.err"  # not the last server's listening line
bg "$SOCKIT" udp recv --count 2 0 >"$TMP/recv" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port U "$TMP/recv.err" udp
printf 'one\n' | socat -u - "UDP-SENDTO:127.0.0.1:$U,sourceport=$(free_port udp)"
S2=$(free_port udp)
printf 'two' | socat -u - "UDP-SENDTO:127.0.0.1:$U,sourceport=$S2"
for _ in $(seq 30); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "udp recv --count 2"
expect_lines "$TMP/recv" 2 "udp recv output"
grep -Eq '^127\.0\.0\.1:[0-9]+: one$' "$TMP/recv" || fail "first datagram line: $(head -1 "$TMP/recv")"
expect_eq "$(tail -1 "$TMP/recv")" "127.0.0.1:$S2: two" "second datagram line"

# recv --json, fed by sockit udp send (no reply comes: send times out, that is expected).
rm -f "$TMP/recv.err"  # not the last server's listening line
bg "$SOCKIT" --json udp recv --count 1 "127.0.0.1:0" >"$TMP/recv" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port U "$TMP/recv.err" udp
"$SOCKIT" udp send -w 0.2 "127.0.0.1:$U" 'hello "json"' >/dev/null 2>&1
for _ in $(seq 30); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "udp recv --json --count 1"
grep -Eq '^\{"from":"127\.0\.0\.1:[0-9]+","size":12,"data":"hello \\"json\\""\}$' "$TMP/recv" \
  || fail "recv --json line: $(cat "$TMP/recv")"

# recv --raw is byte-exact for binary payloads.
rm -f "$TMP/recv.err"  # not the last server's listening line
bg "$SOCKIT" udp recv --raw --count 1 0 >"$TMP/recv" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port U "$TMP/recv.err" udp
socat -u - "UDP-SENDTO:127.0.0.1:$U" <"$TMP/bin"
for _ in $(seq 30); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "udp recv --raw"
cmp -s "$TMP/bin" "$TMP/recv" || fail "recv --raw not byte-exact ($(stat -c %s "$TMP/recv") bytes)"

# send and recv against each other: recv answers nothing, send times out; recv stops on SIGTERM.
rm -f "$TMP/recv.err"  # not the last server's listening line
bg "$SOCKIT" udp recv 0 >"$TMP/recv" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port U "$TMP/recv.err" udp
"$SOCKIT" udp send -w 0.2 "127.0.0.1:$U" ping >/dev/null 2>&1
for _ in $(seq 20); do [ -s "$TMP/recv" ] && break; sleep 0.1; done
grep -q ': ping$' "$TMP/recv" || fail "recv did not print (or flush) 'ping' as it arrived: $(cat "$TMP/recv")"
kill -TERM "$RECV"
for _ in $(seq 30); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "udp recv after SIGTERM"
# --wait with --count not reached: exit 1.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp recv --count 1 --wait 0.3 0
expect_rc 1 "udp recv --wait expiring"
grep -v '^sockit: listening on ' "$TMP/err" >"$TMP/err.rest"
expect_lines "$TMP/err.rest" 1 "udp recv --wait stderr (listening on 127.0.0.1 and ::1, then the shortfall)"
grep -q 'of 1 datagrams within 0.3 s' "$TMP/err" || fail "udp recv --wait message: $(cat "$TMP/err")"

# recv always says where it listens, on stderr (stdout keeps only datagrams, --json too): with
# port 0 that line is the only way to learn the port. Send to the announced port to prove it.
for json in "" --json; do
  bg "$SOCKIT" $json udp recv --count 1 --wait 10 0 >"$TMP/recv0" 2>"$TMP/recv0.err"
  RECV=$BG_PID
  N=
  for _ in $(seq 50); do
    N=$(sed -n 's/^sockit: listening on 127\.0\.0\.1:\([0-9]*\) (udp)$/\1/p' "$TMP/recv0.err")
    [ -n "$N" ] && break; sleep 0.1
  done
  if [ -z "$N" ] || [ "$N" -eq 0 ]; then
    fail "udp recv $json 0: no 'listening on 127.0.0.1:N (udp)' line: $(cat "$TMP/recv0.err")"
    continue
  fi
  printf 'to-announced' | socat -u - "UDP-SENDTO:127.0.0.1:$N"
  for _ in $(seq 30); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
  wait "$RECV"; RC=$?
  expect_rc 0 "udp recv $json 0 got the datagram sent to the announced port"
  grep -q 'to-announced' "$TMP/recv0" || fail "udp recv $json 0 stdout: $(cat "$TMP/recv0")"
  grep -q 'listening' "$TMP/recv0" && fail "udp recv $json: 'listening on' leaked to stdout"
done

# A host without :PORT is named as such, not as a bad port.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send 127.0.0.1 hi
expect_rc 2 "udp send HOST without PORT"
expect_contains "$TMP/err" "bad target '127.0.0.1': expected HOST:PORT" "udp send HOST without PORT message"
finish

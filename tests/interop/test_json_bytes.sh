#!/usr/bin/env bash
# --json of payloads a peer sent (udp recv, udp send's reply, proto call): valid UTF-8 under
# "data"/"payload", anything else as base64 under "data_base64"/"payload_base64", never both; so
# "caf\xc3\xa9" (café) and "caf\xe9" (Latin-1) can be told apart, and base64 gives the bytes back.
. "$SOCKIT_TEST_LIB"
need socat jq base64

# udp recv: a Latin-1 datagram, then a UTF-8 one.
U=$(free_port udp)
bg "$SOCKIT" --json udp recv --count 2 "127.0.0.1:$U" >"$TMP/recv" 2>"$TMP/recv.err"
RECV=$BG_PID
wait_listen "$U" udp
printf 'caf\xe9' | "$SOCKIT" udp send -w 0.2 "127.0.0.1:$U" >/dev/null 2>&1
printf 'caf\xc3\xa9' | "$SOCKIT" udp send -w 0.2 "127.0.0.1:$U" >/dev/null 2>&1
for _ in $(seq 30); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "udp recv --json --count 2"
expect_lines "$TMP/recv" 2 "udp recv --json"
expect_match "$TMP/recv" '^\{"from":"127\.0\.0\.1:[0-9]+","size":4,"data_base64":"Y2Fm6Q=="\}$' \
  "recv --json of a Latin-1 datagram"
expect_match "$TMP/recv" "^\{\"from\":\"127\.0\.0\.1:[0-9]+\",\"size\":5,\"data\":\"$(printf 'caf\xc3\xa9')\"\}$" \
  "recv --json of a UTF-8 datagram"

# udp send: a binary reply from a socat echo comes back byte for byte through data_base64.
P=$(free_port udp)
bg socat -T 2 "UDP-RECVFROM:$P,bind=127.0.0.1,fork" EXEC:cat
wait_listen "$P" udp
head -c 300 /dev/urandom >"$TMP/bin"
printf '\xff' >>"$TMP/bin"  # never valid UTF-8
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json udp send "127.0.0.1:$P" <"$TMP/bin"
expect_rc 0 "udp send --json of a binary reply"
jq -e 'has("data") | not' "$TMP/out" >/dev/null || fail "binary reply also has \"data\": $(head -c 300 "$TMP/out")"
jq -r .data_base64 "$TMP/out" | base64 -d >"$TMP/back"
cmp -s "$TMP/bin" "$TMP/back" || fail "data_base64 does not give the datagram back: $(head -c 300 "$TMP/out")"

# proto call: the two spellings of "café", and "Ã©" (valid UTF-8 that a Latin-1 reading of
# "é" would also print).
Q=$(free_port)
bg "$SOCKIT" proto serve --port "$Q" >/dev/null 2>"$TMP/server.err"
wait_listen "$Q"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json proto call "127.0.0.1:$Q" echo "$(printf 'caf\xe9')"
expect_rc 0 "proto call --json, Latin-1 text"
jq -e '.payload_base64 == "RWNobzogY2Fm6Q==" and (has("payload") | not)' "$TMP/out" >/dev/null \
  || fail "proto call --json of Latin-1: $(head -c 300 "$TMP/out")"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json proto call "127.0.0.1:$Q" echo "$(printf 'caf\xc3\xa9')"
expect_rc 0 "proto call --json, UTF-8 text"
jq -e '.payload == "Echo: café" and (has("payload_base64") | not)' "$TMP/out" >/dev/null \
  || fail "proto call --json of UTF-8: $(head -c 300 "$TMP/out")"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json proto call "127.0.0.1:$Q" echo 'Ã©'
expect_rc 0 "proto call --json, Ã©"
jq -e '.payload == "Echo: Ã©"' "$TMP/out" >/dev/null || fail "proto call --json of Ã©: $(head -c 300 "$TMP/out")"

finish

#!/usr/bin/env bash
# sockit proto call against socat-based fake servers: one that answers as the chapter's server does
# (header, a pause, then the payload: two segments), one that splits even the header, one that
# sends a bad checksum, and one that closes in the middle of an answer.
. "$SOCKIT_TEST_LIB"
need socat dd
fake() {  # fake NAME SCRIPT-BODY: a socat server on a fresh port answering each 8-byte request
  cat >"$TMP/$1.sh" <<EOF
while [ "\$(dd bs=8 count=1 iflag=fullblock status=none | wc -c)" = 8 ]; do
$2
done
EOF
  bg_on_free_port FAKE_PORT tcp socat "TCP-LISTEN:{port},reuseaddr,fork,bind=127.0.0.1" SYSTEM:"bash $TMP/$1.sh"
}

fake twoseg "printf '\x00\x04\x00\x00\x34\x01\x00\x00'; sleep 0.3; printf 'PONG'"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json proto call "127.0.0.1:$FAKE_PORT" ping -c 2 -i 0
expect_rc 0 "two-segment server"
expect_eq "$(grep -c '"payload":"PONG"' "$TMP/out")" "2" "both answers read whole"
rtt=$(grep -m1 -o '"rtt_ms":[0-9.]*' "$TMP/out" | cut -d: -f2)
awk -v r="$rtt" 'BEGIN { exit !(r >= 250) }' || fail "the client answered before the payload came (rtt $rtt ms)"

fake splithdr "printf '\x00\x09\x00'; sleep 0.2; printf '\x00\xff\x02\x00\x00Echo'; sleep 0.2; printf ': abc'"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$FAKE_PORT" echo abc
expect_rc 0 "header split"; expect_eq "$(cat "$TMP/out")" "OK Echo: abc" "header split"

fake badsum "printf '\x00\x04\x00\x00\x00\x00\x00\x00PONG'"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$FAKE_PORT" ping
expect_rc 1 "bad checksum from the server"; expect_contains "$TMP/err" "bad checksum" "bad checksum message"

fake cut "printf '\x00\x04\x00\x00\x34\x01\x00\x00PO'; exit 0"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$FAKE_PORT" ping
expect_rc 1 "close mid-answer"; expect_contains "$TMP/err" "in the middle of a response" "close mid-answer message"

fake silent "sleep 5"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" proto call "127.0.0.1:$FAKE_PORT" -w 0.5 ping
expect_rc 1 "no answer"; expect_contains "$TMP/err" "no response from" "timeout message"
finish

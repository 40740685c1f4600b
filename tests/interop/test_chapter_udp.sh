#!/usr/bin/env bash
# The chapter's UDP programs (SimpleUDPClient, SimpleUDPServer), compiled with fpc, against sockit
# in a namespace of this test: the chapter's client sends "Message UDP de test" to localhost:9000,
# where `sockit echo --udp` answers from port 9000, on each event loop engine (the client prints
# the reply and its source);
# `sockit udp send` sends text and 1000 random bytes to the chapter's server on 9000 and gets each
# back byte for byte, from port 9000.
# labels: chapter
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/chapter_lib.sh"
chapter_build SimpleUDPClient SimpleUDPServer
chapter_netns

# 1. SimpleUDPClient -> sockit echo on 127.0.0.1:9000 (UDP), on each event loop engine.
for engine in $(engines); do
  bg "${IN[@]}" "$SOCKIT" --json echo --udp --port 9000 --bind 127.0.0.1 --engine "$engine" >"$TMP/echo.out" 2>"$TMP/echo.err"
  ECHO=$BG_PID
  listening_port P "$TMP/echo.err" udp echo
  expect_eq "$P" 9000 "$engine: sockit echo's port"
  chapter_client "$TMP/client.out" "$SimpleUDPClient"
  expect_rc 0 "$engine: SimpleUDPClient"
  expect_contains "$TMP/client.out" "UDP envoyé: 19 octets à localhost:9000" "$engine: SimpleUDPClient sends its 19 bytes"
  expect_contains "$TMP/client.out" "UDP reçu: 19 octets de 127.0.0.1:9000" "$engine: SimpleUDPClient's reply comes from 127.0.0.1:9000"
  expect_match "$TMP/client.out" '^Réponse: Message UDP de test$' "$engine: SimpleUDPClient prints the echo"
  stop_server "$ECHO"
  expect_rc 0 "$engine: sockit echo stopped"
  expect_match "$TMP/echo.out" '"event":"totals".*"datagrams":1,"bytes_in":19,"bytes_out":19' "$engine: sockit echo counted one datagram of 19 bytes each way"
done

# 2. sockit udp send -> SimpleUDPServer on 9000 (0.0.0.0).
chapter_server SimpleUDPServer 9000 udp
SERVER=$BG_PID
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" udp send -w 5 127.0.0.1:9000 'Message UDP de test'
expect_rc 0 "sockit udp send (text) to SimpleUDPServer"
expect_eq "$(cat "$TMP/got")" "Message UDP de test" "SimpleUDPServer's echo of the text"
# sockit udp send takes only a reply from the peer it sent to: a reply from another port would
# not count, so this also shows the server answers from 9000.
head -c 1000 /dev/urandom >"$TMP/bytes"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" --json udp send -w 5 127.0.0.1:9000 <"$TMP/bytes"
expect_rc 0 "sockit udp send (1000 random bytes) to SimpleUDPServer"
expect_contains "$TMP/got" '"from":"127.0.0.1:9000"' "the reply's source"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" udp send -w 5 127.0.0.1:9000 <"$TMP/bytes"
expect_rc 0 "sockit udp send (raw reply) to SimpleUDPServer"
cmp -s "$TMP/bytes" "$TMP/got" || fail "SimpleUDPServer's echo of 1000 bytes differs ($(stat -c %s "$TMP/got") bytes back)"
alive "$SERVER" "SimpleUDPServer"
finish

#!/usr/bin/env bash
# The chapter's TCP programs (SimpleTCPClient, SimpleTCPServer), compiled with fpc, against sockit
# in a namespace of this test: the chapter's client sends "Bonjour serveur\r\n" to localhost:7,
# where `sockit echo` answers it, on each event loop engine (the client prints the echo; the
# server counts 17 bytes each way);
# `sockit connect` sends all 256 byte values to the chapter's server on 8080 and gets them back
# byte for byte, then a second client is served by the same server (its accept loop).
# The chapter's server echoes only its first recv (PROTOCOL.md 6.6): each message here is one write.
# labels: chapter
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/chapter_lib.sh"
chapter_build SimpleTCPClient SimpleTCPServer
chapter_netns

# 1. SimpleTCPClient -> sockit echo on 127.0.0.1:7, on each event loop engine.
for engine in $(engines); do
  bg "${IN[@]}" "$SOCKIT" --json echo --tcp --port 7 --bind 127.0.0.1 --engine "$engine" >"$TMP/echo.out" 2>"$TMP/echo.err"
  ECHO=$BG_PID
  listening_port P "$TMP/echo.err" tcp echo
  expect_eq "$P" 7 "$engine: sockit echo's port"
  chapter_client "$TMP/client.out" "$SimpleTCPClient"
  expect_rc 0 "$engine: SimpleTCPClient"
  expect_contains "$TMP/client.out" "Connecté avec succès !" "$engine: SimpleTCPClient connects to localhost:7"
  expect_contains "$TMP/client.out" "Envoyé: 17 octets" "$engine: SimpleTCPClient sends its 17 bytes"
  expect_contains "$TMP/client.out" "Reçu: 17 octets" "$engine: SimpleTCPClient gets 17 bytes back"
  # The echo ends with the client's own CR LF: the line is "Réponse: Bonjour serveur\r\n".
  expect_eq "$(grep -a '^Réponse: ' "$TMP/client.out" | od -An -c | tr -s ' \n' ' ')" \
    " R 303 251 p o n s e : B o n j o u r s e r v e u r \r \n " "$engine: SimpleTCPClient prints the echo (Bonjour serveur CR LF)"
  stop_server "$ECHO"
  expect_rc 0 "$engine: sockit echo stopped"
  expect_match "$TMP/echo.out" '"event":"totals".*"bytes_in":17,"bytes_out":17' "$engine: sockit echo counted 17 bytes in and out"
done

# 2. sockit connect -> SimpleTCPServer on 8080 (0.0.0.0): every byte value, back as sent.
chapter_server SimpleTCPServer 8080 tcp
SERVER=$BG_PID
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$TMP/bytes"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" connect -w 5 127.0.0.1 8080 <"$TMP/bytes"
expect_rc 0 "sockit connect to SimpleTCPServer"
cmp -s "$TMP/bytes" "$TMP/got" || fail "SimpleTCPServer's echo differs: $(od -An -tx1 "$TMP/got" | head -c 300)"
# A second client: the server went back to accept() after closing the first.
printf 'second client\n' >"$TMP/text"
run "$TMP/got" "$TMP/err" -- "${IN[@]}" "$SOCKIT" connect -w 5 127.0.0.1 8080 <"$TMP/text"
expect_rc 0 "second sockit connect"
cmp -s "$TMP/text" "$TMP/got" || fail "second echo: '$(cat "$TMP/got")'"
alive "$SERVER" "SimpleTCPServer"
finish

#!/usr/bin/env bash
# The chapter's CustomProtocolClient (compiled with fpc) against `sockit proto serve` on
# 127.0.0.1:8080 in a namespace of this test, on each event loop engine. The client sends PING,
# ECHO 'Bonjour serveur!', TIME and QUIT, each as two writes (header, then payload: PROTOCOL.md
# 6.15), and prints each answer: PONG, Echo: Bonjour serveur!, the time (sockit's default ISO 8601
# with the offset, then the chapter's own d-m-yy hh:nn:ss with --time-format) and Goodbye. The
# server counts one connection, four requests and no bad input per client, and serves on afterwards.
# labels: chapter
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/chapter_lib.sh"
chapter_build CustomProtocolClient
chapter_netns

# check_session WHAT TIME_ERE: the client's whole dialogue, in order.
check_session() {
  local what=$1 time_re=$2
  expect_rc 0 "$what: CustomProtocolClient"
  # The TIME line stands as TIME once its text matched TIME_ERE; blank lines are left out.
  expect_eq "$(grep -av '^$' "$TMP/client.out" | sed -E "s/^Heure du serveur: $time_re\$/Heure du serveur: TIME/" | tr '\n' '|')" \
    "Connecté au serveur|Test PING...|Réponse: PONG|Test ECHO...|Réponse: Echo: Bonjour serveur!|Test TIME...|Heure du serveur: TIME|Envoi QUIT...|Réponse: Goodbye|" \
    "$what: the client's dialogue"
  grep -q "Erreur" "$TMP/client.out" && fail "$what: the client reports an error: $(cat "$TMP/client.out")"
}

# 1. The default TIME text: ISO 8601 with the UTC offset (the client prints whatever it gets), on
# each event loop engine.
for engine in $(engines); do
  bg "${IN[@]}" "$SOCKIT" proto serve --bind 127.0.0.1 --engine "$engine" >"$TMP/serve.out" 2>"$TMP/serve.err"
  SERVE=$BG_PID
  listening_port P "$TMP/serve.err" tcp proto
  expect_eq "$P" 8080 "$engine: sockit proto serve's port"
  chapter_client "$TMP/client.out" "$CustomProtocolClient"
  check_session "$engine, default TIME" '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}'
  alive "$SERVE" "$engine: sockit proto serve"
  stop_server "$SERVE"
  expect_rc 0 "$engine: sockit proto serve stopped"
  expect_contains "$TMP/serve.out" "proto: 1 connection(s), 4 request(s), 0 bad input(s)" "$engine: server's totals"
done

# 2. The chapter's own TIME text, and two clients in turn on one server.
bg "${IN[@]}" "$SOCKIT" proto serve --bind 127.0.0.1 --time-format '%-d-%-m-%y %H:%M:%S' >"$TMP/serve.out" 2>"$TMP/serve.err"
SERVE=$BG_PID
listening_port P "$TMP/serve.err" tcp proto
for n in 1 2; do
  chapter_client "$TMP/client.out" "$CustomProtocolClient"
  check_session "chapter TIME, client $n" '[0-9]{1,2}-[0-9]{1,2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}'
done
stop_server "$SERVE"
expect_rc 0 "sockit proto serve stopped"
expect_contains "$TMP/serve.out" "proto: 2 connection(s), 8 request(s), 0 bad input(s)" "server's totals"
finish

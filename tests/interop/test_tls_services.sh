#!/usr/bin/env bash
# The services over TLS (echo --tls, proto serve --tls / proto call --tls), with the certificates
# make_certs.sh makes for this run: echo round-trips with openssl s_client, ncat --ssl and sockit
# connect --tls (1 MiB, close_notify as the half-close), a garbage client and a silent one that
# cost only themselves (one warning line), bench --tls (verified echoes, an untrusted server's line),
# the --json listening event, a SIGTERM drain that ends a
# live client with close_notify; proto call <-> proto serve over TLS (one command, v2 pipelined,
# ping -c), s_client speaking raw frames, an unknown CA refused by the client; the usage errors.
# 127.0.0.1 / localhost only.
. "$SOCKIT_TEST_LIB"
need openssl ncat nc python3 cmp timeout

CERTS=$TMP/certs
bash "$(dirname "$SOCKIT_TEST_LIB")/make_certs.sh" "$CERTS" || die "make_certs.sh failed"
CA=$CERTS/ca.pem
TLS_SERVER=(--tls --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key")

# --- echo --tls ---------------------------------------------------------------------------------
# (--tls-handshake-timeout 60: the silent client of step 2 must outlast a slow run's steps.)
bg bash -c 'exec "$0" --json echo "${@:3}" --port 0 --tls-handshake-timeout 60 >"$1/echo.out" 2>"$2"' "$SOCKIT" "$TMP" \
  "$TMP/echo.err" "${TLS_SERVER[@]}"
E=$BG_PID
listening_port EP "$TMP/echo.err" tls echo

# 1. the --json listening events: one per loopback address, proto tls.
wait_nonempty "$TMP/echo.out"
expect_contains "$TMP/echo.out" "{\"event\":\"listening\",\"service\":\"echo\",\"proto\":\"tls\",\"address\":\"127.0.0.1:$EP\"" "json listening 127.0.0.1"
expect_contains "$TMP/echo.out" "\"proto\":\"tls\",\"address\":\"\[::1\]:$EP\"" "json listening ::1"

# 2. a garbage client (HTTP instead of a ClientHello) and a silent one stay on while others are served.
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 nc -N 127.0.0.1 "$EP" >/dev/null 2>&1
bg python3 -c 'import socket, sys, time; s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); time.sleep(20)' "$EP"
SILENT=$BG_PID

# 3. openssl s_client, verifying against the CA.
out=$( (echo from-s_client; sleep 0.5) | timeout 5 openssl s_client -brief -verify_return_error -CAfile "$CA" \
  -connect "127.0.0.1:$EP" 2>/dev/null)
expect_eq "$out" from-s_client "echo --tls: s_client round-trip"

# 4. ncat --ssl, verifying too (localhost: the certificate's name).
out=$( (echo from-ncat; sleep 0.5) | timeout 5 ncat --ssl --ssl-verify --ssl-trustfile "$CA" localhost "$EP" 2>&1)
expect_eq "$out" from-ncat "echo --tls: ncat --ssl round-trip"

# 5. sockit connect --tls --tls-ca: 1 MiB there and back, stdin's end sent as close_notify.
head -c 1048576 /dev/urandom >"$TMP/big"
run "$TMP/big.back" "$TMP/err" -- "$SOCKIT" connect --tls --tls-ca "$CA" localhost "$EP" <"$TMP/big"
expect_rc 0 "echo --tls: sockit connect"
cmp -s "$TMP/big" "$TMP/big.back" || fail "echo --tls: 1 MiB came back different ($(wc -c <"$TMP/big.back") bytes)"
kill -0 "$SILENT" 2>/dev/null || fail "echo --tls: the silent client was dropped"

# 6. the garbage client cost one warning line, naming why.
expect_match "$TMP/echo.err" "echo tls: TLS handshake with 127\.0\.0\.1:[0-9]+ failed: http request$" "garbage client's line"
n=$(grep -c "TLS handshake" "$TMP/echo.err")
expect_eq "$n" 1 "one handshake line in all"

# 6b. bench --tls against echo --tls: every echoed byte verified, no errors, "tls": true in --json;
# an untrusted server is one line and exit 1 (after step 6: the echo logs that handshake too).
run "$TMP/bench.json" "$TMP/err" -- "$SOCKIT" --json bench --tls --tls-ca "$CA" "127.0.0.1:$EP" -c 2 -d 4 -s 16384 \
  -t 0.5 --warmup 0.2
expect_rc 0 "bench --tls"
expect_contains "$TMP/bench.json" '"errors":0,' "bench --tls: no errors"
expect_contains "$TMP/bench.json" '"tls":true' "bench --tls: the tls field"
expect_match "$TMP/bench.json" '"messages":[1-9][0-9]*,' "bench --tls: messages echoed"
run "$TMP/bench2.out" "$TMP/err" -- "$SOCKIT" bench --tls "127.0.0.1:$EP" -t 0.3 --warmup 0
expect_rc 1 "bench --tls, unknown CA"
expect_eq "$(cat "$TMP/err")" "sockit: TLS handshake with 127.0.0.1:$EP failed: unknown CA (self-signed or untrusted issuer)" \
  "bench --tls, unknown CA: the line"

# 7. SIGTERM with a client connected: it gets close_notify (a clean EOF), the server exits 0 at once.
cat >"$TMP/drain.py" <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=8), server_hostname="localhost")
s.sendall(b"before-drain\n")
got = b""
while not got.endswith(b"\n"):
    got += s.recv(100)
print(got.decode().strip(), flush=True)
open(sys.argv[3], "w").close()  # ready for the SIGTERM
try:
    rest = s.recv(100)
    print("eof" if rest == b"" else "data " + rest.decode(), flush=True)
except ssl.SSLError as e:
    print("ssl error", e, flush=True)
PY
bg bash -c 'exec python3 "$0" "$1" "$2" "$3" >"$4" 2>&1' "$TMP/drain.py" "$CA" "$EP" "$TMP/ready" "$TMP/drain.out"
D=$BG_PID
for _ in $(seq 50); do [ -e "$TMP/ready" ] && break; sleep 0.1; done
t0=$(date +%s%N)
stop_server "$E"
t1=$(date +%s%N)
expect_rc 0 "echo --tls: SIGTERM"
[ $(((t1 - t0) / 1000000)) -lt 3000 ] || fail "echo --tls: the drain took $(((t1 - t0) / 1000000)) ms"
wait "$D"
expect_eq "$(cat "$TMP/drain.out")" "before-drain
eof" "echo --tls: the drained client's view"
expect_contains "$TMP/echo.out" '"event":"totals"' "echo --tls: totals"
kill "$SILENT" 2>/dev/null

# 7b. --idle-timeout closes a client that never starts its handshake: one line (the idle close).
bg bash -c 'exec "$0" -v echo "${@:3}" --port 0 --idle-timeout 0.3 >/dev/null 2>"$1"' "$SOCKIT" "$TMP/idle.err" x "${TLS_SERVER[@]}"
I=$BG_PID
listening_port IP "$TMP/idle.err" tls echo
got=$(timeout 5 python3 -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); print(len(s.recv(10)))' "$IP")
expect_eq "$got" 0 "echo --tls --idle-timeout: a silent client is closed"
stop_server "$I"
expect_rc 0 "echo --tls --idle-timeout: SIGTERM"
expect_lines <(grep -E "idle for|TLS handshake" "$TMP/idle.err") 1 "echo --tls --idle-timeout: one line for the silent client"

# 7c. --tls-handshake-timeout closes a client that never sends its hello (one line, one error in the
# totals); a client whose handshake is done in time stays past the limit.
bg bash -c 'exec "$0" --json echo "${@:3}" --port 0 --tls-handshake-timeout 0.5 >"$1" 2>"$2"' "$SOCKIT" "$TMP/hs.out" \
  "$TMP/hs.err" "${TLS_SERVER[@]}"
H=$BG_PID
listening_port HP "$TMP/hs.err" tls echo
got=$(timeout 5 python3 -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); print(len(s.recv(10)))' "$HP")
expect_eq "$got" 0 "echo --tls-handshake-timeout: a silent client is closed"
out=$( (echo past-the-limit; sleep 1) | timeout 5 openssl s_client -brief -CAfile "$CA" -connect "127.0.0.1:$HP" 2>/dev/null)
expect_eq "$out" past-the-limit "echo --tls-handshake-timeout: a client in time is served past the limit"
stop_server "$H"
expect_rc 0 "echo --tls-handshake-timeout: SIGTERM"
expect_match "$TMP/hs.err" "echo tls: TLS handshake with 127\.0\.0\.1:[0-9]+ failed: no handshake within 0\.5 s \(--tls-handshake-timeout\)$" \
  "echo --tls-handshake-timeout: the line"
expect_eq "$(grep -c 'TLS handshake' "$TMP/hs.err")" 1 "echo --tls-handshake-timeout: one line in all"
expect_contains "$TMP/hs.out" '"errors":1}' "echo --tls-handshake-timeout: one error in the totals"

# --- proto serve --tls / proto call --tls ------------------------------------------------------
bg bash -c 'exec "$0" proto serve --v2 "${@:3}" --port 0 >"$1/proto.out" 2>"$2"' "$SOCKIT" "$TMP" "$TMP/proto.err" "${TLS_SERVER[@]}"
PR=$BG_PID
listening_port PP "$TMP/proto.err" tls proto
wait_nonempty "$TMP/proto.out"
expect_contains "$TMP/proto.out" "proto listening on 127.0.0.1:$PP (v1+v2, max payload 4096, TLS)" "proto serve --tls: listening line"

# 9. call <-> serve: one command, v2 pipelined from stdin, ping -c (a garbage client in between).
run "$TMP/c1.out" "$TMP/err" -- "$SOCKIT" proto call --tls --tls-ca "$CA" "localhost:$PP" echo hello tls
expect_rc 0 "proto call --tls echo"
expect_eq "$(cat "$TMP/c1.out")" "OK Echo: hello tls" "proto call --tls echo: answer"
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 nc -N 127.0.0.1 "$PP" >/dev/null 2>&1
run "$TMP/c2.out" "$TMP/err" -- "$SOCKIT" proto call --tls --tls-ca "$CA" --v2 "localhost:$PP" < <(printf 'ping\necho a\nquit\n')
expect_rc 0 "proto call --tls --v2 pipelined"
expect_eq "$(cat "$TMP/c2.out")" "OK PONG
OK Echo: a
OK Goodbye" "proto call --tls --v2: answers"
run "$TMP/c3.out" "$TMP/err" -- "$SOCKIT" proto call --tls --tls-insecure "127.0.0.1:$PP" ping -c 3 -i 0.02
expect_rc 0 "proto call --tls --tls-insecure ping -c 3"
expect_contains "$TMP/c3.out" "3 requests sent, 3 answered, 0% lost" "proto call --tls ping -c 3: summary"

# 10. a raw TLS client (s_client) speaks the frames too: v1 PING is 04 00 00 00 00 00 00 00.
printf '\x04\x00\x00\x00\x00\x00\x00\x00' >"$TMP/ping.bin"
( cat "$TMP/ping.bin"; sleep 0.5 ) | timeout 5 openssl s_client -brief -CAfile "$CA" -connect "127.0.0.1:$PP" \
  2>/dev/null >"$TMP/pong.bin"
expect_contains "$TMP/pong.bin" PONG "proto serve --tls: s_client's PING"

# 11. the client refuses an unknown CA (the system store does not know ours): one line, exit 1;
# the server logs that handshake as one line too.
run "$TMP/c4.out" "$TMP/err" -- "$SOCKIT" proto call --tls "localhost:$PP" ping
expect_rc 1 "proto call --tls, unknown CA"
# (localhost is ::1 first where /etc/hosts says so, as a stock Debian's does; proto serve has both.)
expect_match "$TMP/err" "^sockit: TLS handshake with (127\.0\.0\.1|\[::1\]):$PP failed: unknown CA \(self-signed or untrusted issuer\)$" \
  "proto call --tls, unknown CA: the line"
expect_eq "$(wc -l <"$TMP/err")" 1 "proto call --tls, unknown CA: one line"
stop_server "$PR"
expect_rc 0 "proto serve --tls: SIGTERM"
expect_eq "$(grep -c 'TLS handshake with' "$TMP/proto.err")" 2 "proto serve --tls: a line per failed handshake"
expect_contains "$TMP/proto.out" "proto: 6 connection(s)" "proto serve --tls: totals"

# 12. usage errors (exit 2, one line each).
usage() {
  local what=$1 line=$2
  shift 2
  run "$TMP/u.out" "$TMP/err" -- "$SOCKIT" "$@"
  expect_rc 2 "$what"
  expect_eq "$(cat "$TMP/err")" "$line" "$what: the line"
}
usage "echo --tls --udp" "sockit: --tls cannot be used with --udp (echo --tls is TCP only)" echo "${TLS_SERVER[@]}" --udp
usage "echo --tls unix:" "sockit: --tls cannot be used with a unix: address (echo --tls is TCP on IP addresses)" \
  echo "${TLS_SERVER[@]}" unix:@sockit-tls-test
usage "echo --tls --unix-dgram" "sockit: --tls cannot be used with --unix-dgram" echo "${TLS_SERVER[@]}" --unix-dgram unix:@x
usage "echo --tls without a key" "sockit: --tls needs --tls-cert FILE and --tls-key FILE" echo --tls --tls-cert "$CERTS/good.pem"
usage "proto serve --tls unix:" "sockit: --tls cannot be used with a unix: address (proto serve --tls is TCP)" \
  proto serve "${TLS_SERVER[@]}" unix:@sockit-tls-test
usage "proto call --tls unix:" "sockit: --tls cannot be used with a unix: address (proto call --tls is TCP)" \
  proto call --tls unix:@sockit-tls-test ping
usage "proto call --tls-ca without --tls" "sockit: --tls-ca needs --tls" proto call --tls-ca "$CA" 127.0.0.1:1 ping
usage "bench --tls --udp" "sockit: --tls cannot be used with --udp (bench --tls is TCP)" bench --tls --udp 127.0.0.1:1

finish

#!/usr/bin/env bash
# The services over TLS (echo --tls, proto serve --tls / proto call --tls), with the certificates
# make_certs.sh makes for this run: echo round-trips with openssl s_client, ncat --ssl and sockit
# connect --tls (1 MiB, close_notify as the half-close), a garbage client and a silent one that
# cost only themselves (one warning line), the --json listening event, a SIGTERM drain that ends a
# live client with close_notify, and the usage errors. 127.0.0.1 / localhost only.
. "$SOCKIT_TEST_LIB"
need openssl ncat nc python3 cmp timeout

CERTS=$TMP/certs
bash "$(dirname "$SOCKIT_TEST_LIB")/make_certs.sh" "$CERTS" || die "make_certs.sh failed"
CA=$CERTS/ca.pem
TLS_SERVER=(--tls --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key")

# --- echo --tls ---------------------------------------------------------------------------------
bg bash -c 'exec "$0" --json echo "${@:3}" --port 0 >"$1/echo.out" 2>"$2"' "$SOCKIT" "$TMP" "$TMP/echo.err" "${TLS_SERVER[@]}"
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
out=$( (echo from-s_client; sleep 0.5) | timeout 5 openssl s_client -quiet -verify_return_error -CAfile "$CA" \
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

# 8. usage errors (exit 2, one line each).
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

finish

#!/usr/bin/env bash
# sockit relay terminating and originating TLS (--tls-in, --tls-out), with the certificates
# make_certs.sh makes for this run: openssl s_client -> relay --tls-in -> plain sockit echo;
# nc -> relay --tls-out -> openssl s_server (verified, SNI by address, ALPN as s_server saw it);
# 1 MiB of random bytes byte-exact through each mode (TLS both sides too, with sha256);
# a client that speaks no TLS costs one line and the relay goes on serving, one that never sends
# its hello is closed at --connect-timeout; a bad certificate on
# --tls-out (expired, unknown CA) is one line saying why and the client is reset; the --json
# listening event and totals; the usage errors. 127.0.0.1 only.
. "$SOCKIT_TEST_LIB"
need openssl nc python3 sha256sum timeout

CERTS=$TMP/certs
bash "$(dirname "$SOCKIT_TEST_LIB")/make_certs.sh" "$CERTS" || die "make_certs.sh failed"
CA=$CERTS/ca.pem
IN=(--tls-in --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key")

# The backends: plain echo, TLS echo (good certificate), TLS echo with an expired one.
bg "$SOCKIT" echo --tcp --port 0 >/dev/null 2>"$TMP/echo.err"
listening_port E "$TMP/echo.err" tcp echo
bg "$SOCKIT" echo --tls --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key" --port 0 >/dev/null 2>"$TMP/techo.err"
listening_port TE "$TMP/techo.err" tls echo
bg "$SOCKIT" echo --tls --tls-cert "$CERTS/expired.pem" --tls-key "$CERTS/expired.key" --port 0 >/dev/null 2>"$TMP/xecho.err"
listening_port XE "$TMP/xecho.err" tls echo

# relay VAR NAME ARGS...: a relay on a free port (VAR), stdout/stderr in $TMP/NAME.out/.err, PID in NAME_PID.
relay() {
  local var=$1 name=$2
  shift 2
  bg "$SOCKIT" --json relay 0 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  printf -v "${name}_PID" '%s' "$BG_PID"
  listening_port "$var" "$TMP/$name.err" tcp
}
relay RIN rin "127.0.0.1:$E" "${IN[@]}"
relay ROUT rout "127.0.0.1:$TE" --tls-out --tls-ca "$CA"
relay RBOTH rboth "127.0.0.1:$TE" "${IN[@]}" --tls-out --tls-ca "$CA"

head -c 1048576 /dev/urandom >"$TMP/big"
want=$(sha256sum <"$TMP/big")

# 1. --tls-in: a client that speaks no TLS (HTTP) costs one line; then s_client, verifying the
# relay's certificate, gets its line echoed by the plain backend.
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 nc -N 127.0.0.1 "$RIN" >/dev/null 2>&1
out=$( (echo from-s_client; sleep 0.5) | timeout 5 openssl s_client -brief -verify_return_error -CAfile "$CA" \
  -connect "127.0.0.1:$RIN" 2>"$TMP/sc.err")
expect_eq "$out" from-s_client "--tls-in: s_client round-trip through the relay"
expect_contains "$TMP/sc.err" "Verification: OK" "--tls-in: s_client verified the relay"

# 1a. --tls-in-alpn: the relay's server side chooses from the client's ALPN offer.
relay RAL ral "127.0.0.1:$E" "${IN[@]}" --tls-in-alpn h2,http/1.1
(echo alpn; sleep 0.5) | timeout 5 openssl s_client -CAfile "$CA" -alpn http/1.1 -connect "127.0.0.1:$RAL" \
  >"$TMP/al.out" 2>/dev/null
expect_contains "$TMP/al.out" "ALPN protocol: http/1.1" "--tls-in-alpn: the protocol chosen"
expect_match "$TMP/rin.err" "relay: #1 from 127\.0\.0\.1:[0-9]+: TLS handshake failed: http request$" "--tls-in: the plain client's line"

# 1b. a client that never sends its hello is closed at --connect-timeout, with one line.
relay RTO rto "127.0.0.1:$E" "${IN[@]}" --connect-timeout 0.3
got=$(timeout 5 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    print(len(s.recv(10)))
except ConnectionResetError:
    print("reset")' "$RTO")
expect_eq "$got" 0 "--tls-in: a silent client closed at --connect-timeout"
expect_match "$TMP/rto.err" "relay: #1 from 127\.0\.0\.1:[0-9]+: TLS handshake failed: no handshake within 0\.3 s \(--connect-timeout\)$" \
  "--tls-in: the silent client's line"

# 2. --tls-in: 1 MiB from sockit connect --tls, byte-exact (its EOF sent as close_notify).
run "$TMP/in.back" "$TMP/err" -- "$SOCKIT" connect --tls --tls-ca "$CA" 127.0.0.1 "$RIN" <"$TMP/big"
expect_rc 0 "--tls-in: sockit connect --tls"
expect_eq "$(sha256sum <"$TMP/in.back")" "$want" "--tls-in: 1 MiB back unchanged"

# 3. --tls-out: nc -> relay -> openssl s_server, verified by address (IP SAN), ALPN offered.
bg_on_free_port SS tcp bash -c 'exec openssl s_server -accept "127.0.0.1:$0" -cert "$1/good.pem" -key "$1/good.key" \
  -naccept 1 -alpn h2 < <(echo from-s_server; sleep 3) >"$2/ss.out" 2>"$2/ss.err"' {port} "$CERTS" "$TMP"
relay RSS rss "127.0.0.1:$SS" --tls-out --tls-ca "$CA" --tls-alpn h2
out=$( (echo from-nc; sleep 1) | timeout 5 nc 127.0.0.1 "$RSS")
expect_eq "$out" from-s_server "--tls-out: what s_server sent, through the relay"
for _ in $(seq 20); do grep -q from-nc "$TMP/ss.out" && break; sleep 0.1; done
expect_contains "$TMP/ss.out" from-nc "--tls-out: s_server received nc's line"
expect_contains "$TMP/ss.out" "ALPN protocols advertised by the client: h2" "--tls-out: ALPN offered"

# 4. --tls-out: 1 MiB from plain sockit connect to sockit echo --tls, byte-exact.
run "$TMP/out.back" "$TMP/err" -- "$SOCKIT" connect 127.0.0.1 "$ROUT" <"$TMP/big"
expect_rc 0 "--tls-out: sockit connect"
expect_eq "$(sha256sum <"$TMP/out.back")" "$want" "--tls-out: 1 MiB back unchanged"

# 5. TLS on both sides: 1 MiB, byte-exact.
run "$TMP/both.back" "$TMP/err" -- "$SOCKIT" connect --tls --tls-ca "$CA" 127.0.0.1 "$RBOTH" <"$TMP/big"
expect_rc 0 "--tls-in --tls-out: sockit connect --tls"
expect_eq "$(sha256sum <"$TMP/both.back")" "$want" "--tls-in --tls-out: 1 MiB back unchanged"

# 6. a bad certificate on --tls-out: one line saying why, the client reset, the relay still up.
bad() {
  local name=$1 why=$2
  shift 2
  relay RBAD "$name" "127.0.0.1:$XE" --tls-out "$@"
  local t0 t1
  t0=$(date +%s%N)
  echo hello | timeout 5 nc 127.0.0.1 "$RBAD" >"$TMP/$name.nc" 2>&1
  t1=$(date +%s%N)
  [ $(((t1 - t0) / 1000000)) -lt 3000 ] || fail "$name: the client waited $(((t1 - t0) / 1000000)) ms"
  [ -s "$TMP/$name.nc" ] && fail "$name: the client got bytes: $(head -c 100 "$TMP/$name.nc")"
  for _ in $(seq 20); do grep -q "TLS handshake" "$TMP/$name.err" && break; sleep 0.1; done
  expect_match "$TMP/$name.err" "warning relay: #1 from 127\.0\.0\.1:[0-9]+: TLS handshake with 127\.0\.0\.1:$XE failed: $why; client reset$" "$name: the line"
  local pid_var="${name}_PID"
  kill -0 "${!pid_var}" 2>/dev/null || fail "$name: the relay exited"
}
bad expired "certificate has expired" --tls-ca "$CA"
bad unknownca "unknown CA \(self-signed or untrusted issuer\)"

# 7. the --json listening event says which side speaks TLS; the totals count what happened.
expect_contains "$TMP/rboth.out" '"tls_in":true,"tls_out":true' "--json: tls_in and tls_out"
expect_contains "$TMP/rin.out" '"tls_in":true,"tls_out":false' "--json: tls_in only"
stop_server "$rin_PID"
expect_rc 0 "--tls-in relay: SIGTERM"
expect_contains "$TMP/rin.out" '"connections":3' "--tls-in totals: connections"
expect_contains "$TMP/rin.out" '"resets":1' "--tls-in totals: the failed handshake"
stop_server "$expired_PID"
expect_contains "$TMP/expired.out" '"target_failures":1' "--tls-out totals: the bad certificate"

# 8. usage errors: one line, exit 2.
usage() {
  local what=$1 line=$2
  shift 2
  run "$TMP/u.out" "$TMP/err" -- "$SOCKIT" relay 0 127.0.0.1:1 "$@"
  expect_rc 2 "$what"
  expect_eq "$(cat "$TMP/err")" "$line" "$what: the line"
}
usage "--tls-in without a key" "sockit: --tls-in needs --tls-cert FILE and --tls-key FILE" --tls-in --tls-cert "$CERTS/good.pem"
usage "--tls-cert without --tls-in" "sockit: --tls-cert needs --tls-in" --tls-cert "$CERTS/good.pem"
usage "--tls-ca without --tls-out" "sockit: --tls-ca needs --tls-out" --tls-ca "$CA"
usage "--tls-in-alpn without --tls-in" "sockit: --tls-in-alpn needs --tls-in" --tls-in-alpn h2
usage "--tls-in --udp" "sockit: --tls-in cannot be used with -u/--udp (TLS relays TCP)" "${IN[@]}" --udp
usage "--tls-out --delay" "sockit: --delay cannot be used with --tls-out: TLS bytes are copied through the TLS stream" \
  --tls-out --delay 0.1
usage "--tls-out --copy" "sockit: --copy cannot be used with --tls-out: TLS bytes are copied through the TLS stream" \
  --tls-out --copy

# The default --max-conns counts two descriptors per TLS connection (no splice pipes), six without:
# with RLIMIT_NOFILE 1024 (the hard limit lowered in a subshell), (1024 - 64) / 2 and / 6.
for mode in tls plain; do
  extra=()
  [ "$mode" = tls ] && extra=("${IN[@]}")
  (ulimit -n 1024 && exec timeout 1 "$SOCKIT" -vv relay "${extra[@]}" 127.0.0.1:0 127.0.0.1:9) >/dev/null 2>"$TMP/lim.$mode" || true
done
expect_match "$TMP/lim.tls" "at most 480 connections per loop" "default --max-conns with --tls-in"
expect_match "$TMP/lim.plain" "at most 160 connections per loop" "default --max-conns without TLS"
finish

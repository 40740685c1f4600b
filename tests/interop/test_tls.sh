#!/usr/bin/env bash
# connect --tls and listen --tls against openssl s_server / s_client and ncat --ssl, both ways, with
# certificates make_certs.sh makes for this run (a throwaway CA; good, expired, wrong-host, and
# self-signed certificates): data both ways, ALPN as the peer sees it, TLSv1.3 in s_client -brief,
# each verification failure named in one line with exit 1, --tls-insecure, 1 MiB each way between
# two sockits with close_notify as the half-close, TLS through an HTTP proxy's tunnel, and hostile
# peers (garbage instead of a ClientHello, a reset mid-handshake, a server that never answers:
# -w bounds it and Ctrl+C ends it, a record that does not decrypt), a closed stdout, listen -k --tls
# with several clients at once, and the usage errors. 127.0.0.1 / localhost only.
. "$SOCKIT_TEST_LIB"
need openssl ncat nc python3 cmp timeout

CERTS=$TMP/certs
bash "$(dirname "$SOCKIT_TEST_LIB")/make_certs.sh" "$CERTS" || die "make_certs.sh failed"
CA=$CERTS/ca.pem

# s_server VAR CERT [ARGS...]: openssl s_server for one client on a free port (VAR), with CERT;
# its stdin is kept open 3 s (a line "from-s_server" first), its stdout/stderr in $TMP/VAR.out/.err.
# (Every background peer here is exec'd with its input from a process substitution, never at the end
# of a pipeline: then the PID lib.sh cleans up is the peer's own.)
s_server() {
  local var=$1 cert=$2
  shift 2
  bg_on_free_port "$var" tcp bash -c 'exec openssl s_server -accept "127.0.0.1:$0" -cert "$1.pem" -key "$1.key" \
    -naccept 1 "${@:3}" < <(echo from-s_server; sleep 3) >"$2.out" 2>"$2.err"' {port} "$CERTS/$cert" "$TMP/$var" "$@"
}

# The servers of the client cases, all at once (each serves one client).
s_server GOOD good -alpn h2
s_server EXPIRED expired
s_server WRONG wronghost
s_server UNKNOWN good
s_server INSEC expired
s_server ALPN0 good

# 1. good certificate, --tls-ca: data both ways, and -v names version, cipher, ALPN, subject.
run "$TMP/good.out" "$TMP/err" -- "$SOCKIT" -v connect --tls --tls-ca "$CA" --tls-alpn x-none,h2 localhost "$GOOD" <<<from-sockit
expect_rc 0 "good certificate"
expect_contains "$TMP/good.out" from-s_server "good: what s_server sent"
wait_nonempty "$TMP/GOOD.out"
for _ in $(seq 20); do grep -q from-sockit "$TMP/GOOD.out" && break; sleep 0.1; done
expect_contains "$TMP/GOOD.out" from-sockit "good: s_server received"
expect_contains "$TMP/GOOD.out" "ALPN protocols advertised by the client: x-none, h2" "ALPN offered, as s_server saw it"
expect_match "$TMP/err" "TLS with 127.0.0.1:$GOOD: TLSv1.3 TLS_[A-Z0-9_]+, ALPN h2, peer certificate CN = localhost" "-v line"

# 2. each bad certificate: one line saying why, exit 1.
bad() {
  local name=$1 port=$2 text=$3
  shift 3
  run "$TMP/$name.out" "$TMP/err" -- "$SOCKIT" connect --tls "$@" localhost "$port" </dev/null
  expect_rc 1 "$name"
  expect_eq "$(cat "$TMP/err")" "sockit: TLS handshake with 127.0.0.1:$port failed: $text" "$name: the error line"
}
bad expired "$EXPIRED" "certificate has expired" --tls-ca "$CA"
bad wronghost "$WRONG" "certificate is for another host (wanted localhost)" --tls-ca "$CA"
bad unknown-ca "$UNKNOWN" "unknown CA (self-signed or untrusted issuer)"

# 3. --tls-insecure: an expired certificate passes, still encrypted.
# (stdin ends once s_server's line is out, not before: its first read of the socket may be our
# close_notify, and a slow s_server then resets the connection before sending.)
# until_out FILE: an stdin that ends once FILE has s_server's line (or after 10 s).
until_out() { for _ in $(seq 100); do grep -q from-s_server "$1" 2>/dev/null && break; sleep 0.1; done; }
rm -f "$TMP/insec.out" "$TMP/ip.out"
run "$TMP/insec.out" "$TMP/err" -- "$SOCKIT" connect --tls --tls-insecure 127.0.0.1 "$INSEC" < <(until_out "$TMP/insec.out")
expect_rc 0 "--tls-insecure"
expect_contains "$TMP/insec.out" from-s_server "--tls-insecure: data"

# 4. by address: the certificate's IP SAN is what is checked; no ALPN offered, none chosen.
run "$TMP/ip.out" "$TMP/err" -- "$SOCKIT" -v connect --tls --tls-ca "$CA" 127.0.0.1 "$ALPN0" < <(until_out "$TMP/ip.out")
expect_rc 0 "by address"
expect_contains "$TMP/err" "ALPN none" "no ALPN"

# 5. openssl s_client -> sockit listen --tls: TLSv1.3 in -brief, verified, data both ways, ALPN.
bg bash -c 'exec "$0" -v listen --tls --tls-cert "$1/good.pem" --tls-key "$1/good.key" --tls-alpn h2,http/1.1 0 \
  < <(sleep 0.4; echo from-listen) >"$2/l1.out" 2>"$2/l1.err"' "$SOCKIT" "$CERTS" "$TMP"
L1=$BG_PID
listening_port LP "$TMP/l1.err" tcp
echo from-s_client | timeout 10 openssl s_client -connect "127.0.0.1:$LP" -CAfile "$CA" -verify_return_error -brief \
  -alpn http/1.1 -ign_eof >"$TMP/sc.out" 2>"$TMP/sc.err"
RC=$?
expect_rc 0 "s_client to listen --tls"
expect_contains "$TMP/sc.err" "Protocol version: TLSv1.3" "s_client -brief: TLSv1.3"
expect_contains "$TMP/sc.err" "Verification: OK" "s_client verified the listener"
expect_contains "$TMP/sc.out" from-listen "s_client got"
wait "$L1"; RC=$?
expect_rc 0 "listen --tls for s_client"
expect_contains "$TMP/l1.out" from-s_client "listen --tls got"
expect_contains "$TMP/l1.err" "ALPN http/1.1" "listen -v: the ALPN chosen"

# 6. ncat --ssl both ways.
echo from-ncat-l >"$TMP/ncat-l.in"
bg_on_free_port NL tcp bash -c 'exec ncat -l --ssl --ssl-cert "$1/good.pem" --ssl-key "$1/good.key" 127.0.0.1 "$0" \
  <"$2/ncat-l.in" >"$2/ncat-l.out"' {port} "$CERTS" "$TMP"
NLPID=$BG_PID
run "$TMP/n1.out" "$TMP/err" -- "$SOCKIT" connect --tls --tls-ca "$CA" localhost "$NL" < <(sleep 0.3; echo from-sockit)
expect_rc 0 "connect --tls to ncat -l --ssl"
expect_contains "$TMP/n1.out" from-ncat-l "from ncat -l --ssl"
wait "$NLPID"
expect_contains "$TMP/ncat-l.out" from-sockit "ncat -l --ssl received"

bg bash -c 'exec "$0" listen --tls --tls-cert "$1/good.pem" --tls-key "$1/good.key" 0 \
  < <(sleep 0.3; echo from-listen) >"$2/l2.out" 2>"$2/l2.err"' "$SOCKIT" "$CERTS" "$TMP"
L2=$BG_PID
listening_port LP2 "$TMP/l2.err" tcp
echo from-ncat | timeout 10 ncat --ssl --ssl-verify --ssl-trustfile "$CA" localhost "$LP2" >"$TMP/n2.out" 2>"$TMP/n2.err"
RC=$?
expect_rc 0 "ncat --ssl --ssl-verify to listen --tls"
expect_contains "$TMP/n2.out" from-listen "ncat --ssl got"
wait "$L2"; RC=$?
expect_rc 0 "listen --tls for ncat"
expect_contains "$TMP/l2.out" from-ncat "listen --tls got from ncat"

# 6b. listen -k --tls: clients at once (two sockits and ncat), a garbage client costs only itself,
# stdin goes to every client.
bg bash -c 'exec "$0" -v listen -k --tls --tls-cert "$1/good.pem" --tls-key "$1/good.key" 0 \
  < <(for _ in $(seq 200); do [ -e "$2/k.go" ] && break; sleep 0.05; done; echo to-all; sleep 2) \
  >"$2/k.out" 2>"$2/k.err"' "$SOCKIT" "$CERTS" "$TMP"
K=$BG_PID
listening_port KP "$TMP/k.err" tcp
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 nc -N 127.0.0.1 "$KP" >/dev/null 2>&1
kc=()
for i in 1 2; do
  bg bash -c 'exec "$0" connect --tls --tls-ca "$1/ca.pem" localhost "$2" < <(echo "from-$3"; sleep 1) \
    >"$4/k$3.out" 2>"$4/k$3.err"' "$SOCKIT" "$CERTS" "$KP" "$i" "$TMP"
  kc+=("$BG_PID")
done
bg bash -c 'exec ncat --ssl --ssl-verify --ssl-trustfile "$0/ca.pem" localhost "$1" < <(echo from-ncat; sleep 1) \
  >"$2/kn.out" 2>&1' "$CERTS" "$KP" "$TMP"
kc+=("$BG_PID")
# stdin's line once all four have been accepted (it goes to the clients connected at that moment;
# a fixed delay missed them under ASan).
for _ in $(seq 100); do [ "$(grep -c 'connection from' "$TMP/k.err")" -ge 4 ] && break; sleep 0.05; done
touch "$TMP/k.go"
for p in "${kc[@]}"; do wait "$p"; done
stop_server "$K"
expect_rc 0 "listen -k --tls: Ctrl+C"
for w in from-1 from-2 from-ncat; do expect_contains "$TMP/k.out" "$w" "listen -k --tls got $w"; done
for f in k1 k2 kn; do expect_contains "$TMP/$f.out" to-all "listen -k --tls: stdin to $f"; done
expect_match "$TMP/k.err" "^sockit: TLS handshake with 127\.0\.0\.1:[0-9]+ failed: http request \([0-9]+ connected\)$" \
  "listen -k --tls: the garbage client's line"

# 7. sockit to sockit, 1 MiB each way at once; stdin's EOF is close_notify, the half-close.
head -c 1048576 /dev/urandom >"$TMP/up.bin"
head -c 1048576 /dev/urandom >"$TMP/down.bin"
# (bg's job would read /dev/null: the redirection goes inside.)
bg bash -c 'exec "$0" listen --tls --tls-cert "$1/good.pem" --tls-key "$1/good.key" 0 <"$2/down.bin" \
  >"$2/l3.out" 2>"$2/l3.err"' "$SOCKIT" "$CERTS" "$TMP"
L3=$BG_PID
listening_port LP3 "$TMP/l3.err" tcp
run "$TMP/c3.out" "$TMP/err" -- "$SOCKIT" connect --tls --tls-ca "$CA" localhost "$LP3" <"$TMP/up.bin"
expect_rc 0 "1 MiB each way: connect"
wait "$L3"; RC=$?
expect_rc 0 "1 MiB each way: listen"
cmp -s "$TMP/up.bin" "$TMP/l3.out" || fail "client to server: 1 MiB differs ($(stat -c %s "$TMP/l3.out") bytes)"
cmp -s "$TMP/down.bin" "$TMP/c3.out" || fail "server to client: 1 MiB differs ($(stat -c %s "$TMP/c3.out") bytes)"

# 8. through ncat's HTTP proxy: TLS end to end, the certificate the target's.
s_server PROXIED good
bg_on_free_port HP tcp ncat -l --proxy-type http 127.0.0.1 {port}
# (The target by address, the name by --tls-sni: ncat would try localhost's ::1 first where
# /etc/hosts has it, as a stock Debian's does, and s_server listens on 127.0.0.1 only.)
run "$TMP/px.out" "$TMP/err" -- "$SOCKIT" connect --proxy "127.0.0.1:$HP" --tls --tls-ca "$CA" --tls-sni localhost \
  127.0.0.1 "$PROXIED" < <(sleep 0.3)
expect_rc 0 "--tls over --proxy"
expect_contains "$TMP/px.out" from-s_server "--tls over --proxy: data"

# 9. hostile peers.
# Garbage instead of a ClientHello: listen --tls says why and exits 1, at once.
bg "$SOCKIT" listen --tls --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key" 0 </dev/null >/dev/null 2>"$TMP/l4.err"
L4=$BG_PID
listening_port LP4 "$TMP/l4.err" tcp
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 nc -N 127.0.0.1 "$LP4" >/dev/null 2>&1
for _ in $(seq 50); do kill -0 "$L4" 2>/dev/null || break; sleep 0.1; done
wait "$L4"; RC=$?
cp "$TMP/l4.err" "$TMP/err"
expect_rc 1 "garbage ClientHello"
expect_match "$TMP/l4.err" "^sockit: TLS handshake with 127\.0\.0\.1:[0-9]+ failed: (http request|wrong version number)$" "garbage: the line"

# A peer that reads the ClientHello and resets.
bg python3 -c '
import socket, struct, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); c.recv(4096)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); c.close()
' >"$TMP/rst.port"
wait_nonempty "$TMP/rst.port"
run "$TMP/rst.out" "$TMP/err" -- "$SOCKIT" connect --tls --tls-ca "$CA" 127.0.0.1 "$(cat "$TMP/rst.port")" </dev/null
expect_rc 1 "reset mid-handshake"
expect_contains "$TMP/err" "TLS handshake with 127.0.0.1:.*: Connection reset by peer (ECONNRESET)" "reset: the line"

# A server that accepts and says nothing: -w bounds the handshake; without -w, Ctrl+C ends it.
bg python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
end = time.time() + 20
while time.time() < end:
    s.settimeout(end - time.time())
    try: held.append(s.accept()[0])
    except OSError: break
' >"$TMP/mute.port"
wait_nonempty "$TMP/mute.port"
MUTE=$(cat "$TMP/mute.port")
run "$TMP/mute.out" "$TMP/err" -- "$SOCKIT" connect --tls -w 0.5 127.0.0.1 "$MUTE" </dev/null
expect_rc 1 "silent server with -w"
expect_contains "$TMP/err" "no answer within 0.5 s" "silent server: the line"
bg "$SOCKIT" connect --tls 127.0.0.1 "$MUTE" </dev/null >/dev/null 2>"$TMP/int.err"
C=$BG_PID
wait_signal_taken "$C" || fail "connect --tls never took SIGINT over"
sleep 0.5
kill -0 "$C" 2>/dev/null || fail "connect --tls to a silent server without -w ended by itself: $(cat "$TMP/int.err")"
kill -INT "$C"
for _ in $(seq 100); do kill -0 "$C" 2>/dev/null || break; sleep 0.1; done
kill -0 "$C" 2>/dev/null && fail "Ctrl+C did not end the handshake wait"
wait "$C"; RC=$?
expect_rc 0 "Ctrl+C during the handshake"

# A record that does not decrypt, after the handshake: one line, exit 1.
bg python3 "$(dirname "$SOCKIT_TEST_LIB")/tls_junk_peer.py" "$CERTS" >"$TMP/junk.port"
wait_nonempty "$TMP/junk.port"
run "$TMP/junk.out" "$TMP/err" -- "$SOCKIT" connect --tls --tls-ca "$CA" localhost "$(cat "$TMP/junk.port")" < <(sleep 2)
expect_rc 1 "a bad record"
expect_contains "$TMP/junk.out" "hello over tls" "a bad record: the line before it"
expect_match "$TMP/err" "^sockit: recv from 127\.0\.0\.1:[0-9]+: TLS error: decryption failed or bad record mac$" "a bad record: the line"

# A closed stdout: the first write stops the session quietly (no SIGPIPE death).
bg bash -c 'exec "$0" listen --tls --tls-cert "$1/good.pem" --tls-key "$1/good.key" 0 <"$2/down.bin" \
  >/dev/null 2>"$2/l5.err"' "$SOCKIT" "$CERTS" "$TMP"
listening_port LP5 "$TMP/l5.err" tcp
timeout 10 "$SOCKIT" connect --tls --tls-ca "$CA" localhost "$LP5" </dev/null 2>"$TMP/err" | true
RC=${PIPESTATUS[0]}
[ "$RC" -eq 0 ] || [ "$RC" -eq 1 ] || fail "closed stdout: exit $RC (stderr: $(cat "$TMP/err"))"

# A client that connects and never sends its hello: --tls-handshake-timeout closes it, one line;
# listen -k serves a client that completes its handshake in time, and keeps it past the limit.
bg bash -c 'exec "$0" listen -k --tls --tls-cert "$1/good.pem" --tls-key "$1/good.key" --tls-handshake-timeout 0.5 0 \
  < <(sleep 20) >"$2/hk.out" 2>"$2/hk.err"' "$SOCKIT" "$CERTS" "$TMP"
HK=$BG_PID
listening_port HKP "$TMP/hk.err" tcp
got=$(timeout 5 python3 -c 'import socket, sys; s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); print(len(s.recv(10)))' "$HKP")
expect_eq "$got" 0 "listen -k --tls-handshake-timeout: a silent client is closed"
run "$TMP/hk1.out" "$TMP/err" -- "$SOCKIT" connect --tls --tls-ca "$CA" localhost "$HKP" < <(echo in-time; sleep 1)
expect_rc 0 "listen -k --tls-handshake-timeout: a client in time"
stop_server "$HK"
expect_rc 0 "listen -k --tls-handshake-timeout: Ctrl+C"
expect_contains "$TMP/hk.out" in-time "listen -k --tls-handshake-timeout: the client in time, served past the limit"
expect_match "$TMP/hk.err" "^sockit: TLS handshake with 127\.0\.0\.1:[0-9]+ failed: no handshake within 0\.5 s \(--tls-handshake-timeout\)$" \
  "listen -k --tls-handshake-timeout: the line"
# One client only (no -k): the listener gives up on the silent client, one line, exit 1.
bg bash -c 'exec "$0" listen --tls --tls-cert "$1/good.pem" --tls-key "$1/good.key" --tls-handshake-timeout 0.5 0 \
  </dev/null >/dev/null 2>"$2/h1.err"' "$SOCKIT" "$CERTS" "$TMP"
H1=$BG_PID
listening_port H1P "$TMP/h1.err" tcp
bg python3 -c 'import socket, sys, time; s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); time.sleep(10)' "$H1P"
for _ in $(seq 50); do kill -0 "$H1" 2>/dev/null || break; sleep 0.1; done
wait "$H1"; RC=$?
cp "$TMP/h1.err" "$TMP/err"
expect_rc 1 "listen --tls-handshake-timeout, one client"
expect_match "$TMP/h1.err" "^sockit: TLS handshake with 127\.0\.0\.1:[0-9]+: no answer within 0\.5 s \(--tls-handshake-timeout or --recv-timeout\)$" \
  "listen --tls-handshake-timeout, one client: the line"

# 10. usage errors: exit 2, one line.
usage() {
  local text=$1
  shift
  run "$TMP/u.out" "$TMP/err" -- "$SOCKIT" "$@"
  expect_rc 2 "usage: $*"
  expect_eq "$(cat "$TMP/err")" "sockit: $text" "usage: $*"
}
usage "--tls-ca needs --tls" connect --tls-ca "$CA" 127.0.0.1 1
usage "--tls-cert needs --tls" listen --tls-cert "$CERTS/good.pem" 0
usage "--tls needs --tls-cert FILE and --tls-key FILE" listen --tls --tls-cert "$CERTS/good.pem" 0
usage "--tls-key '$TMP/nokey': No such file or directory" listen --tls --tls-cert "$CERTS/good.pem" --tls-key "$TMP/nokey" 0
usage "--tls-key '$CERTS/wronghost.key': cannot load the private key file, or it does not match the certificate" \
  listen --tls --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/wronghost.key" 0
usage "--tls cannot be used with -u (UDP)" connect --tls -u 127.0.0.1 1
usage "--tls cannot be used with --unix-dgram" connect --tls --unix-dgram unix:/tmp/nothing-here
usage "--tls cannot be used with --exec/--sh-exec" listen --tls --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key" --exec cat 0
usage "--tls cannot be used with -u (UDP)" listen -u --tls --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key" 0
usage "bad --tls-alpn 'h2,,x': bad ALPN list (names of 1 to 255 bytes, comma-separated, 32 KiB in all)" connect --tls --tls-alpn h2,,x 127.0.0.1 1
long_alpn=$(python3 -c "print(','.join(['a' * 255] * 200))")  # 51,200 bytes on the wire
usage_says() {  # usage error whose one line contains TEXT
  local text=$1
  shift
  run "$TMP/u.out" "$TMP/err" -- "$SOCKIT" "$@"
  expect_rc 2 "usage: ${*:0:80}"
  expect_lines "$TMP/err" 1 "usage: ${*:0:80}"
  expect_contains "$TMP/err" "$text" "usage: ${*:0:80}"
}
usage_says "32 KiB in all" connect --tls --tls-alpn "$long_alpn" 127.0.0.1 1
# The line shows the first 80 bytes of such a value, not all 51,200.
[ "$(wc -c <"$TMP/err")" -lt 300 ] || fail "bad --tls-alpn echoes the whole value: $(wc -c <"$TMP/err") bytes"
expect_contains "$TMP/err" "^sockit: bad --tls-alpn '$(printf 'a%.0s' $(seq 80))\.\.\.': " "bad --tls-alpn shows 80 bytes then ..."
usage_says "bad --tls-sni 'a b': a host name is letters" connect --tls --tls-sni 'a b' 127.0.0.1 1
usage_says "at most 253 bytes" connect --tls --tls-sni "$(printf 'b%.0s' $(seq 300))" 127.0.0.1 1
usage "--tls-ca and --tls-insecure contradict each other: choose one" connect --tls --tls-ca "$CA" --tls-insecure 127.0.0.1 1
usage "--tls-handshake-timeout needs --tls" listen --tls-handshake-timeout 5 0
run "$TMP/u.out" "$TMP/err" -- "$SOCKIT" listen --tls --tls-cert "$CERTS/good.pem" --tls-key "$CERTS/good.key" --tls-handshake-timeout nan 0
expect_rc 2 "usage: --tls-handshake-timeout nan"
expect_contains "$TMP/err" "--tls-handshake-timeout" "usage: --tls-handshake-timeout nan: names the flag"

finish

#!/usr/bin/env bash
# connect --proxy: HTTP CONNECT through ncat's own proxy (open, and with --proxy-auth: 407 without
# or with wrong credentials, the tunnel with good ones), SOCKS5 through socks5_proxy.py (no
# authentication, username/password, every reply code, a proxy that closes, resets, answers
# garbage or never answers), 1 MB of random bytes both ways and compared, IPv4 and ::1 (proxy and
# target), the target sent as a name or an address, bytes sent right behind the proxy's reply,
# socket option flags on the socket to the proxy, and the usage errors. Targets: 127.0.0.1, ::1,
# localhost only.
. "$SOCKIT_TEST_LIB"
need ncat python3 cmp head timeout
need_ipv6

# The target: an echo server on 127.0.0.1 and ::1.
bg "$SOCKIT" echo --tcp -p 0 2>"$TMP/echo.err"
listening_port E "$TMP/echo.err" tcp echo

# The SOCKS5 proxies, one port per behaviour.
modes=(open auth eager close reset silent garbage rep1 rep2 rep3 rep4 rep5 rep6 rep7 rep8 rep9)
bg python3 "$(dirname "$SOCKIT_TEST_LIB")/socks5_proxy.py" "$TMP/socks.log" "${modes[@]}" >"$TMP/socks.ports"
SOCKS_PID=$BG_PID
for _ in $(seq 100); do [ "$(wc -l <"$TMP/socks.ports")" -gt "${#modes[@]}" ] && break; sleep 0.1; done
sport() { awk -v m="$1" '$1 == m { print $2 }' "$TMP/socks.ports"; }
[ -n "$(sport open6)" ] || die "socks5_proxy.py did not start: $(cat "$TMP/socks.ports")"

# The default handshake bound (10 s) runs beside the rest, so it costs no time of its own.
# silent10.rc gets "EXIT MILLISECONDS".
bg bash -c 'a=$(date +%s%N); "$0" connect --proxy-type socks5 --proxy "127.0.0.1:$1" localhost "$2" </dev/null \
  2>"$3.err"; rc=$?; echo "$rc $(( ($(date +%s%N) - a) / 1000000 ))" >"$3.rc"' \
  "$SOCKIT" "$(sport silent)" "$E" "$TMP/silent10"

# HTTP proxies: ncat, open and with credentials.
bg_on_free_port HP tcp ncat -l --proxy-type http 127.0.0.1 {port}
bg_on_free_port HPA tcp ncat -l --proxy-type http --proxy-auth alice:s3cret 127.0.0.1 {port}

head -c 1048576 /dev/urandom >"$TMP/up.bin"

# through NAME ARGS...: `sockit connect ARGS` with up.bin on stdin, kept open until the echo of all
# of it is back (ncat's proxy ends the tunnel at the client's half-close), then closed; checks the
# bytes and exit 0.
through() {
  local name=$1 pid
  shift
  rm -f "$TMP/in"; mkfifo "$TMP/in"
  timeout 30 "$SOCKIT" connect "$@" <"$TMP/in" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  pid=$!
  _PIDS+=("$pid")
  exec 3>"$TMP/in"
  cat "$TMP/up.bin" >&3
  for _ in $(seq 150); do
    [ "$(stat -c %s "$TMP/$name.out")" -ge 1048576 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  exec 3>&-
  wait "$pid"; RC=$?
  cp "$TMP/$name.err" "$TMP/err"
  expect_rc 0 "$name"
  cmp -s "$TMP/up.bin" "$TMP/$name.out" || fail "$name: the 1 MB echo differs ($(stat -c %s "$TMP/$name.out") bytes back)"
}

# refused NAME RC PATTERN ARGS...: `sockit connect ARGS` exits RC with one stderr line matching PATTERN.
refused() {
  local name=$1 rc=$2 pattern=$3
  shift 3
  run "$TMP/$name.out" "$TMP/err" -- "$SOCKIT" connect "$@" </dev/null
  expect_rc "$rc" "$name"
  expect_match "$TMP/err" "$pattern" "$name"
  expect_lines "$TMP/err" 1 "$name: one line"
}

# ---- HTTP CONNECT through ncat --------------------------------------------------------------------
through http_v4 --proxy "127.0.0.1:$HP" 127.0.0.1 "$E"
through http_name --proxy "127.0.0.1:$HP" --proxy-type http localhost "$E"
through http_v6_target --proxy "127.0.0.1:$HP" ::1 "$E"
refused http_closed_port 1 "^sockit: proxy 127\.0\.0\.1:$HP refused CONNECT 127\.0\.0\.1:1: [0-9]{3} " \
  --proxy "127.0.0.1:$HP" 127.0.0.1 1
# Without credentials, with wrong ones, with good ones.
refused http_407 1 "refused CONNECT localhost:$E: 407 .*try --proxy-auth" --proxy "127.0.0.1:$HPA" localhost "$E"
refused http_407_bad 1 "refused CONNECT localhost:$E: 407 .*credentials rejected" \
  --proxy "127.0.0.1:$HPA" --proxy-auth alice:wrong localhost "$E"
through http_auth --proxy "127.0.0.1:$HPA" --proxy-auth alice:s3cret 127.0.0.1 "$E"
# The daytime line arrives right behind ncat's "200 OK" header: it must reach stdout.
bg "$SOCKIT" serve -s daytime -t --daytime-port 0 2>"$TMP/serve.err"
listening_port T "$TMP/serve.err" tcp daytime
sleep 1 | run "$TMP/day.out" "$TMP/err" -- "$SOCKIT" connect --proxy "127.0.0.1:$HP" 127.0.0.1 "$T"
expect_match "$TMP/day.out" '[0-9]{4}|[0-9]{2}:[0-9]{2}' "daytime through the HTTP proxy"

# ---- SOCKS5 through socks5_proxy.py --------------------------------------------------------------
: >"$TMP/socks.log"
run "$TMP/s.out" "$TMP/err" -- "$SOCKIT" -v connect --proxy "127.0.0.1:$(sport open)" --proxy-type socks5 \
  localhost "$E" <"$TMP/up.bin"
expect_rc 0 "socks5 1 MB"
cmp -s "$TMP/up.bin" "$TMP/s.out" || fail "socks5: the 1 MB echo differs ($(stat -c %s "$TMP/s.out") bytes back)"
expect_contains "$TMP/err" "connected to proxy 127.0.0.1:$(sport open) (socks5); tunnel to localhost:$E open" "-v line"
expect_contains "$TMP/socks.log" "atyp=3 host=localhost port=$E" "a name goes as a name (the proxy resolves it)"

run "$TMP/s6.out" "$TMP/err" -- "$SOCKIT" connect --proxy "[::1]:$(sport open6)" --proxy-type socks5 ::1 "$E" \
  <"$TMP/up.bin"
expect_rc 0 "socks5 over ::1"
cmp -s "$TMP/up.bin" "$TMP/s6.out" || fail "socks5 over ::1: the echo differs"
expect_contains "$TMP/socks.log" "open peer=::1 atyp=4 host=::1 port=$E" "an IPv6 target as an address"

# Socket option flags apply to the socket to the proxy: the proxy sees the source address.
echo hi | run "$TMP/s4.out" "$TMP/err" -- "$SOCKIT" -v connect -s 127.0.0.2 --nodelay \
  --proxy "127.0.0.1:$(sport open)" --proxy-type socks5 127.0.0.1 "$E"
expect_rc 0 "socks5 with -s"
expect_eq "$(cat "$TMP/s4.out")" "hi" "socks5 with -s: echo"
expect_contains "$TMP/socks.log" "open peer=127.0.0.2 atyp=1 host=127.0.0.1 port=$E" "-s through the proxy, v4 target"
expect_contains "$TMP/err" "TCP_NODELAY" "-v reports the options of the socket to the proxy"

echo hello | run "$TMP/sa.out" "$TMP/err" -- "$SOCKIT" connect --proxy "127.0.0.1:$(sport auth)" \
  --proxy-type socks5 --proxy-auth alice:s3cret localhost "$E"
expect_rc 0 "socks5 username/password"
expect_eq "$(cat "$TMP/sa.out")" "hello" "socks5 username/password: echo"
echo x | run "$TMP/se.out" "$TMP/err" -- "$SOCKIT" connect --proxy "127.0.0.1:$(sport eager)" \
  --proxy-type socks5 localhost "$E"
expect_eq "$(head -1 "$TMP/se.out")" "banner" "bytes in the same write as the SOCKS5 reply"

S5=(--proxy-type socks5)
refused socks_badpass 1 "tunnel to localhost:$E: username/password rejected$" \
  "${S5[@]}" --proxy "127.0.0.1:$(sport auth)" --proxy-auth alice:nope localhost "$E"
refused socks_noauth 1 "none of the offered authentication methods .*try --proxy-auth" \
  "${S5[@]}" --proxy "127.0.0.1:$(sport auth)" localhost "$E"
refused socks_target_refused 1 "tunnel to 127\.0\.0\.1:1: connection refused by the target \(SOCKS5 reply 5\)" \
  "${S5[@]}" --proxy "127.0.0.1:$(sport open)" 127.0.0.1 1
texts=("" "general SOCKS server failure" "connection not allowed by ruleset" "network unreachable" "host unreachable"
       "connection refused by the target" "TTL expired" "command not supported" "address type not supported"
       "unassigned SOCKS5 reply code 9")
for n in 1 2 3 4 5 6 7 8 9; do
  refused "socks_rep$n" 1 "^sockit: proxy 127\.0\.0\.1:$(sport rep$n) \(socks5\) tunnel to localhost:$E: ${texts[$n]}" \
    "${S5[@]}" --proxy "127.0.0.1:$(sport rep$n)" localhost "$E"
done
refused socks_close 1 "the proxy closed the connection during the handshake" \
  "${S5[@]}" --proxy "127.0.0.1:$(sport close)" localhost "$E"
refused socks_reset 1 "Connection reset by peer \(ECONNRESET\)" "${S5[@]}" --proxy "127.0.0.1:$(sport reset)" localhost "$E"
refused socks_garbage 1 "not the protocol \(is it a SOCKS5 proxy\?\)" \
  "${S5[@]}" --proxy "127.0.0.1:$(sport garbage)" localhost "$E"
# An echo server answers CONNECT with CONNECT: garbage from the first byte.
refused http_garbage 1 "not the protocol \(is it an HTTP proxy\?\)" --proxy "127.0.0.1:$E" localhost "$E"
start=$(date +%s.%N)
refused socks_silent 1 "no answer to the handshake within 0\.5 s \(-w\)" \
  -w 0.5 "${S5[@]}" --proxy "127.0.0.1:$(sport silent)" localhost "$E"
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 3) }' || fail "-w 0.5 against a silent proxy took over 3 s"
refused proxy_down 1 "^sockit: connect 127\.0\.0\.1:1: Connection refused" "${S5[@]}" --proxy 127.0.0.1:1 localhost "$E"

# ---- usage errors (exit 2) ---------------------------------------------------------------------
refused u_addr 2 "bad --proxy address '127\.1:80'" --proxy 127.1:80 localhost "$E"
refused u_addr6 2 "bad --proxy address" --proxy ::1:80 localhost "$E"
refused u_empty 2 "--proxy: empty value" --proxy "" localhost "$E"
refused u_emptyauth 2 "--proxy-auth: empty value" --proxy 127.0.0.1:1080 --proxy-auth "" localhost "$E"
refused u_nohost 2 "bad --proxy address ':1080': a proxy host is needed" --proxy :1080 localhost "$E"
refused u_port0 2 "bad --proxy address '127.0.0.1:0'" --proxy 127.0.0.1:0 localhost "$E"
refused u_port 2 "bad --proxy address '127.0.0.1:99999'" --proxy 127.0.0.1:99999 localhost "$E"
refused u_type 2 "bad --proxy-type 'socks4': expected http or socks5" --proxy 127.0.0.1:1080 --proxy-type socks4 localhost "$E"
refused u_udp 2 "cannot be used with -u" -u --proxy 127.0.0.1:1080 localhost "$E"
refused u_nouser 2 "bad --proxy-auth: a user is needed" --proxy 127.0.0.1:1080 --proxy-auth :pw localhost "$E"
refused u_longuser 2 "at most 255 bytes" --proxy 127.0.0.1:1080 --proxy-auth "$(head -c 256 /dev/zero | tr '\0' u):pw" localhost "$E"
refused u_longpass 2 "at most 255 bytes" --proxy 127.0.0.1:1080 --proxy-auth "u:$(head -c 100000 /dev/zero | tr '\0' p)" localhost "$E"
refused u_type_alone 2 "--proxy-type needs --proxy" --proxy-type socks5 localhost "$E"
refused u_auth_alone 2 "--proxy-auth needs --proxy" --proxy-auth a:b localhost "$E"
refused u_longname 2 "bad host 'aaa" "${S5[@]}" --proxy 127.0.0.1:1080 "$(head -c 300 /dev/zero | tr '\0' a)" "$E"

# ---- the default bound, started at the top ------------------------------------------------------
for _ in $(seq 150); do [ -s "$TMP/silent10.rc" ] && break; sleep 0.1; done
read -r RC ms <"$TMP/silent10.rc" || die "the connect to a silent proxy without -w did not end within 25 s"
cp "$TMP/silent10.err" "$TMP/err"
expect_rc 1 "silent proxy, no -w"
expect_match "$TMP/err" "no answer to the handshake within 10 s$" "default handshake bound"
[ "$ms" -ge 9500 ] && [ "$ms" -lt 13000 ] || fail "the default handshake bound took $ms ms, not about 10 s"

kill -0 "$SOCKS_PID" 2>/dev/null || fail "socks5_proxy.py died"
finish

#!/usr/bin/env bash
# Where ::1 cannot be bound (IPv6 disabled on lo), `sockit listen PORT`, `sockit udp recv PORT` and
# `sockit serve` keep 127.0.0.1 alone: one "listening on" line, one notice saying IPv6 is missing, and peers
# over IPv4 are served. Runs in a network namespace of its own with IPv6 turned off on its lo:
# a user namespace (unshare -rn) where the kernel allows it, else a root one (ip netns).
. "$SOCKIT_TEST_LIB"
need nc socat timeout ip

cat >"$TMP/inner.sh" <<'INNER'
# Runs inside the namespace; prints "ok" on success, else what went wrong.
set -u
ip link set lo up || { echo "cannot bring lo up"; exit 1; }
echo 1 >/proc/sys/net/ipv6/conf/lo/disable_ipv6 || { echo "cannot disable IPv6 on lo"; exit 1; }
port() {  # ERRFILE PROTO [SERVICE]: the port of the first 127.0.0.1 listening line
  local p=
  for _ in $(seq 100); do
    p=$(sed -n -E "s/^sockit: listening on 127\.0\.0\.1:([0-9]+) \($2\)${3:+ $3}$/\1/p" "$1" | head -1)
    [ -n "$p" ] && break; sleep 0.1
  done
  echo "$p"
}
check_err() {  # ERRFILE WHAT: one listening line, one notice, nothing else
  local lines; lines=$(grep -c . "$1")
  [ "$lines" -eq 2 ] || { echo "$2: expected 2 stderr lines, got $lines: $(cat "$1")"; return 1; }
  grep -q "^sockit: no IPv6 loopback here (bind \[::1\]:[0-9]*: .*): listening on IPv4 only$" "$1" \
    || { echo "$2: no IPv6 notice: $(cat "$1")"; return 1; }
}
timeout 10 "$SOCKIT" listen 0 </dev/null >"$T/got1" 2>"$T/l1.err" & L=$!
P=$(port "$T/l1.err" tcp)
[ -n "$P" ] || { kill $L; echo "listen 0: no listening line: $(cat "$T/l1.err")"; exit 1; }
printf 'four' | timeout 5 nc -N 127.0.0.1 "$P" >/dev/null
wait $L || { echo "listen 0 exited $?: $(cat "$T/l1.err")"; exit 1; }
[ "$(cat "$T/got1")" = four ] || { echo "listen 0 got '$(cat "$T/got1")'"; exit 1; }
check_err "$T/l1.err" "listen 0" || exit 1

timeout 10 "$SOCKIT" udp recv --count 1 0 >"$T/got2" 2>"$T/r2.err" & R=$!
U=$(port "$T/r2.err" udp)
[ -n "$U" ] || { kill $R; echo "udp recv 0: no listening line: $(cat "$T/r2.err")"; exit 1; }
printf 'over4' | socat -u - "UDP4-SENDTO:127.0.0.1:$U"
wait $R || { echo "udp recv 0 exited $?: $(cat "$T/r2.err")"; exit 1; }
grep -q ': over4$' "$T/got2" || { echo "udp recv 0 printed '$(cat "$T/got2")'"; exit 1; }
check_err "$T/r2.err" "udp recv 0" || exit 1

# serve: both services' sockets on 127.0.0.1 only, one notice for all of them.
timeout 20 "$SOCKIT" serve --services echo --echo-port 0 >/dev/null 2>"$T/s3.err" & S=$!
E=$(port "$T/s3.err" tcp echo)
[ -n "$E" ] || { kill $S; echo "serve: no listening line: $(cat "$T/s3.err")"; exit 1; }
got=$(printf 'v4' | timeout 5 nc -N 127.0.0.1 "$E")
kill -INT $S; wait $S
[ "$got" = v4 ] || { echo "serve echo over IPv4 answered '$got'"; exit 1; }
[ "$(grep -c '^sockit: listening on' "$T/s3.err")" -eq 2 ] || { echo "serve: expected 2 listening lines: $(cat "$T/s3.err")"; exit 1; }
[ "$(grep -c 'no IPv6 loopback here' "$T/s3.err")" -eq 1 ] || { echo "serve: expected one IPv6 notice: $(cat "$T/s3.err")"; exit 1; }
echo ok
INNER

export T="$TMP" SOCKIT
if unshare -rn true 2>/dev/null; then
  out=$(timeout 60 unshare -rn bash "$TMP/inner.sh" 2>&1)
else
  make_netns
  out=$(timeout 60 ip netns exec "$NS" bash "$TMP/inner.sh" 2>&1)
fi
[ "$out" = ok ] || fail "without IPv6: $out"
finish

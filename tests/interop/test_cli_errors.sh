#!/usr/bin/env bash
# Bad input through the CLI (connect, listen, probe, and unknown commands): each case gives exactly one stderr line
# naming what and why, the documented exit code (2 usage, 1 runtime), and never a crash (< 128).
# Name resolution is only tried inside a test network namespace that has nothing but lo, so no
# DNS query can leave the machine.
. "$SOCKIT_TEST_LIB"
need timeout

# check NAME CODE PATTERN CMD...: run CMD, expect exit CODE and one stderr line matching PATTERN.
check() {
  local name=$1 code=$2 pattern=$3; shift 3
  run "$TMP/out" "$TMP/err" -- "$@" </dev/null
  [ "$RC" -lt 128 ] || fail "$name: crashed or hung (exit $RC)"
  expect_rc "$code" "$name"
  expect_lines "$TMP/err" 1 "$name"
  grep -Eq -- "$pattern" "$TMP/err" || fail "$name: stderr '$(cat "$TMP/err")' does not match /$pattern/"
}

# Usage errors: exit 2.
check "connect port 70000" 2 "^sockit: bad port '70000': port must be a number from 0 to 65535$" "$SOCKIT" connect 127.0.0.1 70000
check "listen port 70000" 2 "^sockit: bad port '70000'" "$SOCKIT" listen 70000
check "listen addr port 70000" 2 "^sockit: bad port '70000'" "$SOCKIT" listen 127.0.0.1 70000
check "probe port 70000" 2 "^sockit: bad ports '70000'" "$SOCKIT" probe 127.0.0.1 70000
check "probe bad list" 2 "^sockit: bad ports '80,,90'" "$SOCKIT" probe 127.0.0.1 80,,90
check "probe reversed range" 2 "^sockit: bad ports '90-80'" "$SOCKIT" probe 127.0.0.1 90-80
check "probe range to 70000" 2 "^sockit: bad ports '1-70000'" "$SOCKIT" probe 127.0.0.1 1-70000
check "connect port 0" 2 "^sockit: bad port '0'" "$SOCKIT" connect 127.0.0.1 0
check "connect port text" 2 "^sockit: bad port 'http'" "$SOCKIT" connect 127.0.0.1 http
check "connect malformed host" 2 "^sockit: bad host 'not a host'" "$SOCKIT" connect 'not a host' 80
check "connect malformed v6" 2 "^sockit: bad host '1:2:zz'" "$SOCKIT" connect 1:2:zz 80
check "listen malformed addr" 2 "^sockit: bad host '127.0.0.1:80'" "$SOCKIT" listen 127.0.0.1:80 80
check "probe malformed host" 2 "^sockit: bad host 'a/b'" "$SOCKIT" probe a/b 80
check "connect bad wait" 2 "^sockit: bad wait 'soon'" "$SOCKIT" connect -w soon 127.0.0.1 80
check "connect negative wait" 2 "^sockit: bad wait '-1'" "$SOCKIT" connect --wait=-1 127.0.0.1 80
check "probe zero wait" 2 "^sockit: bad wait '0'" "$SOCKIT" probe -w 0 127.0.0.1 80
check "probe concurrency 0" 2 "^sockit: " "$SOCKIT" probe -c 0 127.0.0.1 80
check "connect unknown flag" 2 "^sockit: .*--bogus" "$SOCKIT" connect --bogus 127.0.0.1 80
check "connect missing port" 2 "^sockit: .*port" "$SOCKIT" connect 127.0.0.1
check "connect -4 -6" 2 "^sockit: .*(excludes|ipv)" "$SOCKIT" connect -4 -6 127.0.0.1 80
check "listen too many args" 2 "^sockit: " "$SOCKIT" listen 127.0.0.1 80 90
check "unknown command" 2 "^sockit: unknown command 'conect' \(run 'sockit --help' for the list\)$" "$SOCKIT" conect 127.0.0.1 80
check "unknown command after a global flag" 2 "^sockit: unknown command 'bogus'" "$SOCKIT" -v bogus
check "no command" 2 "^sockit: " "$SOCKIT"

# Runtime failures: exit 1.
P=$(free_port)
check "connect refused" 1 "^sockit: connect 127\.0\.0\.1:$P: Connection refused \(ECONNREFUSED\)$" "$SOCKIT" connect 127.0.0.1 "$P"

# Port in use: a second listener on the same port.
P=$(free_port)
bg "$SOCKIT" listen "$P" </dev/null >/dev/null
wait_listen "$P"
check "listen port in use" 1 "^sockit: listen 127\.0\.0\.1:$P: Address already in use \(EADDRINUSE\)$" "$SOCKIT" listen "$P"
P=$(free_port udp)
bg "$SOCKIT" listen -u "$P" </dev/null >/dev/null
wait_listen "$P" udp
check "listen -u port in use" 1 "^sockit: bind udp 127\.0\.0\.1:$P: Address already in use \(EADDRINUSE\)$" "$SOCKIT" listen -u "$P"

# Binding port 7 without CAP_NET_BIND_SERVICE. Where the sysctl lets anyone bind it, expect success.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)
  unpriv=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-net_bind_service)
  if [ "$start" -gt 7 ]; then
    check "listen port 7 unprivileged" 1 "^sockit: listen 127\.0\.0\.1:7: Permission denied \(EACCES\); ports below $start need root or CAP_NET_BIND_SERVICE" "${unpriv[@]}" "$SOCKIT" listen 7
  elif ! ss -tlnH 'sport = :7' | grep -q .; then
    bg "${unpriv[@]}" "$SOCKIT" listen 7 </dev/null >/dev/null
    wait_listen 7
  fi
else
  echo "note: port 7 case needs root and setpriv to drop the capability; not run"
fi

# Unknown host: inside a namespace with only lo, so the query cannot leave the machine.
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null && ip netns add "sockit-probe-$$" 2>/dev/null; then
  ip netns del "sockit-probe-$$"
  make_netns
  check "connect unknown host" 1 "^sockit: resolve no-such-host\.invalid: " ip netns exec "$NS" "$SOCKIT" connect no-such-host.invalid 80
  check "probe unknown host" 1 "^sockit: resolve no-such-host\.invalid: " ip netns exec "$NS" "$SOCKIT" probe no-such-host.invalid 80
  check "listen unknown addr" 1 "^sockit: resolve no-such-host\.invalid: " ip netns exec "$NS" "$SOCKIT" listen no-such-host.invalid 80
  check "connect -u unknown host" 1 "^sockit: resolve no-such-host\.invalid: " ip netns exec "$NS" "$SOCKIT" connect -u no-such-host.invalid 80
else
  echo "note: unknown-host cases need a network namespace (root); not run"
fi

finish

#!/usr/bin/env bash
# sockit ping run through file capabilities (cap_net_raw+ep) or setuid root by user 65534, in a
# namespace whose ping_group_range allows no datagram socket: it opens a raw socket, then holds no
# privilege while it pings (/proc/PID/status: real, effective and saved ids all 65534, every
# capability set empty, NoNewPrivs 1), and its replies still arrive.
. "$SOCKIT_TEST_LIB"
need setcap setpriv
make_netns
ip netns exec "$NS" sysctl -qw net.ipv4.ping_group_range="1 0"
chmod 755 "$TMP"
cp "$SOCKIT" "$TMP/sockit-caps" && cp "$SOCKIT" "$TMP/sockit-suid" || die "copy the binary"
setcap cap_net_raw+ep "$TMP/sockit-caps" || skip "cannot set file capabilities on $TMP (setcap failed)"
chown root:root "$TMP/sockit-suid" && chmod 4755 "$TMP/sockit-suid" || die "setuid copy"
NOBODY=(ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups)

check_dropped() {
  local bin=$1 what=$2 pid st
  # Emptied first: the background command opens it later, and the last call's "bytes from" would
  # end the wait below before this ping has dropped anything.
  : >"$TMP/out"
  "${NOBODY[@]}" "$bin" ping -c 4 -i 0.3 127.0.0.1 >"$TMP/out" 2>"$TMP/err" &
  pid=$!
  _PIDS+=("$pid")
  # The first reply printed: sockets open and privileges dropped before the first request (a
  # fixed pause was too short for a sanitized build on a busy machine).
  for _ in $(seq 100); do grep -q "bytes from" "$TMP/out" 2>/dev/null && break; sleep 0.1; done
  # setpriv execs: $pid is sockit itself.
  st=$(cat "/proc/$pid/status" 2>/dev/null)
  wait "$pid"; RC=$?
  expect_rc 0 "$what: ping"
  expect_contains "$TMP/out" "4 packets transmitted, 4 received" "$what: replies"
  [ -n "$st" ] || { fail "$what: no /proc/$pid/status"; return; }
  expect_eq "$(awk '/^Uid:/ { print $2, $3, $4 }' <<<"$st")" "65534 65534 65534" "$what: real/effective/saved uid"
  expect_eq "$(awk '/^Gid:/ { print $2, $3, $4 }' <<<"$st")" "65534 65534 65534" "$what: real/effective/saved gid"
  for set in CapInh CapPrm CapEff CapAmb; do
    expect_eq "$(awk -v s="$set:" '$1 == s { print $2 }' <<<"$st")" "0000000000000000" "$what: $set"
  done
  expect_eq "$(awk '$1 == "NoNewPrivs:" { print $2 }' <<<"$st")" "1" "$what: NoNewPrivs"
}
check_dropped "$TMP/sockit-caps" "cap_net_raw+ep"
check_dropped "$TMP/sockit-suid" "setuid root"

# Without either, in the same namespace: one line naming both ways, exit 2.
run "$TMP/out" "$TMP/err" -- "${NOBODY[@]}" "$SOCKIT" ping -c 1 127.0.0.1
expect_rc 2 "no privilege"
expect_lines "$TMP/err" 1 "no privilege"
expect_contains "$TMP/err" "cap_net_raw+ep" "no privilege: the capability"
expect_contains "$TMP/err" "ping_group_range" "no privilege: the sysctl"
finish

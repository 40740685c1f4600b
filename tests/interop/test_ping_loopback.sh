#!/usr/bin/env bash
# sockit ping on loopback, v4 and v6, compared field by field with iputils ping on the same target
# in the same run (header, reply lines and statistics without the times); options after the host;
# several hosts from one loop, each with its own summary block; --json; Ctrl+C prints the
# statistics and SIGQUIT the running line; bad options and an unprivileged -i below 0.2 refused.
. "$SOCKIT_TEST_LIB"
need ping setpriv
[ "$(id -u)" -eq 0 ] || skip "needs root (raw ICMP socket; the unprivileged path is test_ping_netns)"

# Lines without what differs from run to run: the times and the elapsed time.
strip_times() { sed -E 's/ time=[0-9.]+ ms//; s/, time [0-9]+ms//; s#= [0-9./]+ ms#= T ms#'; }

compare_with_iputils() {
  local target=$1 what=$2
  shift 2
  run "$TMP/ours" "$TMP/err" -- "$SOCKIT" ping "$target" -c 3 -i 0.2 "$@"
  expect_rc 0 "$what: sockit ping"
  timeout 20 ping -c 3 -i 0.2 "$@" "$target" >"$TMP/theirs" 2>&1 || fail "$what: iputils ping failed: $(cat "$TMP/theirs")"
  strip_times <"$TMP/ours" >"$TMP/ours.s"
  strip_times <"$TMP/theirs" >"$TMP/theirs.s"
  diff "$TMP/theirs.s" "$TMP/ours.s" >"$TMP/diff" || fail "$what: output differs from iputils ping (< iputils, > sockit): $(cat "$TMP/diff")"
  # The fields themselves (default size): 3 replies with ttl and a time, the rtt line's four numbers.
  [ $# -eq 0 ] || return 0
  [ "$(grep -cE '^64 bytes from .*: icmp_seq=[123] ttl=[0-9]+ time=[0-9.]+ ms$' "$TMP/ours")" -eq 3 ] ||
    fail "$what: reply lines: $(cat "$TMP/ours")"
  expect_match "$TMP/ours" '^rtt min/avg/max/mdev = [0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3} ms$' "$what: rtt line"
}

compare_with_iputils 127.0.0.1 "v4"
compare_with_iputils 127.0.0.1 "v4 -s 8 (no timing)" -s 8
compare_with_iputils 127.0.0.1 "v4 -s 1000" -s 1000
if [ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
  compare_with_iputils ::1 "v6"
else
  echo "note: no ::1 here, IPv6 comparison left out"
fi

# Several hosts, options before and after: one block per host, exit 0 when all answered.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping -c 2 127.0.0.1 -i 0.2 127.0.0.2
expect_rc 0 "two hosts"
expect_contains "$TMP/out" "--- 127.0.0.1 ping statistics ---" "two hosts: first block"
expect_contains "$TMP/out" "--- 127.0.0.2 ping statistics ---" "two hosts: second block"
[ "$(grep -c '2 packets transmitted, 2 received, 0% packet loss' "$TMP/out")" -eq 2 ] || fail "two hosts: counts: $(cat "$TMP/out")"

# -q: the first line and the statistics only; -D: a [seconds.micro] stamp before each reply.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping -q -c 2 -i 0.2 127.0.0.1
expect_rc 0 "-q"
grep -q "bytes from" "$TMP/out" && fail "-q printed reply lines: $(cat "$TMP/out")"
expect_contains "$TMP/out" "2 packets transmitted, 2 received" "-q statistics"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping -D -c 2 -i 0.2 127.0.0.1
expect_rc 0 "-D"
[ "$(grep -cE '^\[[0-9]{10}\.[0-9]{6}\] 64 bytes from 127.0.0.1: icmp_seq=[12] ' "$TMP/out")" -eq 2 ] || fail "-D lines: $(cat "$TMP/out")"

# --json: a start object, one per reply, a summary per host.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json ping 127.0.0.1 -c 2 -i 0.2
expect_rc 0 "--json"
[ "$(grep -c '"event":"reply"' "$TMP/out")" -eq 2 ] || fail "--json: reply objects: $(cat "$TMP/out")"
expect_match "$TMP/out" '^\{"event":"reply","host":"127.0.0.1","address":"127.0.0.1","seq":1,"bytes":64,"ttl":[0-9]+,"time_ms":[0-9.]+,"dup":false,"late":false\}$' "--json reply"
expect_match "$TMP/out" '^\{"event":"summary",.*"transmitted":2,"received":2,.*"loss_percent":0,' "--json summary"
if command -v jq >/dev/null; then jq -e . "$TMP/out" >/dev/null || fail "--json: not JSON lines"; fi

# SIGQUIT: the running line on stderr, pinging goes on; SIGINT: the statistics, exit 0.
bg "$SOCKIT" ping -i 0.2 127.0.0.1 >"$TMP/int.out" 2>"$TMP/int.err"
P=$BG_PID
# A background job starts with SIGINT and SIGQUIT ignored until ping takes them over (before its
# first request), and the Ctrl+C counts need two replies: wait for the second reply line, not a
# fixed pause. Then SIGINT only once the status line is out: both pending at once, the lower
# number (SIGINT) is read first and the status line never comes.
wait_match "$TMP/int.out" 'icmp_seq=2 ' || fail "Ctrl+C: no second reply within 10 s: $(cat "$TMP/int.out")"
kill -QUIT "$P"
wait_match "$TMP/int.err" ' packets, [0-9]+% loss' || fail "SIGQUIT: no status line within 10 s: $(cat "$TMP/int.err")"
kill -INT "$P"
for _ in $(seq 50); do kill -0 "$P" 2>/dev/null || break; sleep 0.1; done
wait "$P"; RC=$?
expect_rc 0 "Ctrl+C"
expect_match "$TMP/int.err" '^[0-9]+/[0-9]+ packets, [0-9]+% loss, min/avg/ewma/max = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' "SIGQUIT status line"
expect_contains "$TMP/int.out" "--- 127.0.0.1 ping statistics ---" "Ctrl+C summary"
# The request sent last may still be on its way when the signal comes (as with iputils): at most it
# is missing.
line=$(grep -E '^[0-9]+ packets transmitted, [0-9]+ received, [0-9.]+% packet loss, time [0-9]+ms$' "$TMP/int.out")
tx=$(echo "$line" | awk '{print $1}') rx=$(echo "$line" | awk '{print $4}')
[ -n "$tx" ] && [ "$rx" -ge $((tx - 1)) ] && [ "$rx" -ge 2 ] || fail "Ctrl+C counts: $(cat "$TMP/int.out")"

# Refusals: one line, exit 2, nothing sent.
run "$TMP/out" "$TMP/err" -- setpriv --reuid=65534 --regid=65534 --clear-groups "$SOCKIT" ping -i 0.1 -c 1 127.0.0.1
expect_rc 2 "unprivileged -i 0.1"
expect_contains "$TMP/err" "below 0.2 s needs root" "unprivileged -i 0.1"
for bad in "-c 0" "-c 1e3" "-s 70000" "-t 0" "-t 256" "-W nan" "-w -1" "-i inf" "--tcp 0"; do
  # shellcheck disable=SC2086
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping $bad 127.0.0.1
  expect_rc 2 "ping $bad"
  expect_lines "$TMP/err" 1 "ping $bad"
  [ -s "$TMP/out" ] && fail "ping $bad printed: $(cat "$TMP/out")"
done
run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping -s 65510 -c 1 127.0.0.1
expect_rc 2 "-s 65510 over IPv4"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping --tcp 1 --udp 1 127.0.0.1
expect_rc 2 "--tcp with --udp"

# -w: as iputils, nothing is sent at the deadline, so a perfect link shows no loss (a request sent
# as the deadline fell due was counted lost: "2 transmitted, 1 received, 50% packet loss").
for args in "-w 1" "-w 1 -i 0.2"; do
  # shellcheck disable=SC2086
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping $args 127.0.0.1
  expect_rc 0 "ping $args"
  line=$(grep 'packets transmitted' "$TMP/out")
  tx=$(echo "$line" | awk '{print $1}') rx=$(echo "$line" | awk '{print $4}')
  [ -n "$tx" ] && [ "$tx" = "$rx" ] || fail "ping $args: $line"
done
# A deadline shorter than the 1 ms slack still sends the first request.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" ping -w 0.001 127.0.0.1
expect_contains "$TMP/out" "^1 packets transmitted" "ping -w 0.001"
finish

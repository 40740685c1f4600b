#!/usr/bin/env bash
# udp send --broadcast between separate hosts (make_lan: A, B, C on one bridge, 10.77.9.0/24, all in
# namespaces this test makes; nothing is broadcast in the machine's own namespace). A limited
# (255.255.255.255) and a subnet-directed (10.77.9.255) broadcast from A reach `udp recv 0.0.0.0`
# on B and C; echo servers on B and C both answer one broadcast and A prints both replies with
# their senders (text and --json) and a count; Ctrl+C ends the wait early; no server: exit 1. Then the errors: a broadcast
# address without --broadcast, --iface lo (no broadcast address), an unknown interface, --broadcast
# to an IPv6 address or a multicast group.
. "$SOCKIT_TEST_LIB"
make_lan
A=(ip netns exec "$LAN_A" "$SOCKIT")  # sockit on host A

# Receivers on B and C, on one port (the port B's kernel chose; free on C, a fresh host).
bg ip netns exec "$LAN_B" "$SOCKIT" udp recv --count 2 --wait 10 0.0.0.0:0 >"$TMP/b.out" 2>"$TMP/b.err"
RB=$BG_PID
listening_port P "$TMP/b.err" udp
bg ip netns exec "$LAN_C" "$SOCKIT" --json udp recv --count 2 --wait 10 "0.0.0.0:$P" >"$TMP/c.out" 2>"$TMP/c.err"
RC_PID=$BG_PID
listening_port _ "$TMP/c.err" udp
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --broadcast --wait 0 "255.255.255.255:$P" limited
expect_rc 0 "limited broadcast, --wait 0 (send only)"
[ -s "$TMP/err" ] && fail "--wait 0 printed on stderr: $(cat "$TMP/err")"
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --broadcast --wait 0 "10.77.9.255:$P" directed
expect_rc 0 "directed broadcast, --wait 0"
for pid in "$RB" "$RC_PID"; do
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  wait "$pid"; RC=$?
  expect_rc 0 "receiver got both broadcasts (--count 2)"
done
expect_match "$TMP/b.out" '^10\.77\.9\.1:[0-9]+: limited$' "B heard the limited broadcast"
expect_match "$TMP/b.out" '^10\.77\.9\.1:[0-9]+: directed$' "B heard the directed broadcast"
expect_match "$TMP/c.out" '^\{"from":"10\.77\.9\.1:[0-9]+","size":7,"data":"limited"\}$' "C heard the limited broadcast"
expect_match "$TMP/c.out" '^\{"from":"10\.77\.9\.1:[0-9]+","size":8,"data":"directed"\}$' "C heard the directed broadcast"

# Echo servers on B and C answer; A collects both replies until --wait.
bg ip netns exec "$LAN_B" "$SOCKIT" echo -u -b 0.0.0.0 -p 0 >/dev/null 2>"$TMP/eb.err"
listening_port E "$TMP/eb.err" udp echo
bg ip netns exec "$LAN_C" "$SOCKIT" echo -u -b 0.0.0.0 -p "$E" >/dev/null 2>"$TMP/ec.err"
listening_port _ "$TMP/ec.err" udp echo
start=$SECONDS
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --broadcast --wait 1 "10.77.9.255:$E" hello
expect_rc 0 "directed broadcast to two echo servers"
expect_lines "$TMP/out" 2 "two replies"
expect_contains "$TMP/out" "10.77.9.2:$E: hello" "reply from B"
expect_contains "$TMP/out" "10.77.9.3:$E: hello" "reply from C"
expect_eq "$(cat "$TMP/err")" "sockit: 2 replies to 10.77.9.255:$E within 1 s" "count line"
[ $((SECONDS - start)) -le 3 ] || fail "--wait 1 took $((SECONDS - start)) s"
# Limited broadcast through the named interface, --json: one object per reply.
run "$TMP/out" "$TMP/err" -- "${A[@]}" --json udp send --broadcast --iface eth0 --wait 1 "255.255.255.255:$E" hi
expect_rc 0 "limited broadcast --iface eth0 to two echo servers"
expect_lines "$TMP/out" 2 "two JSON replies"
expect_contains "$TMP/out" "{\"from\":\"10.77.9.2:$E\",\"size\":2,\"data\":\"hi\"}" "JSON reply from B"
expect_contains "$TMP/out" "{\"from\":\"10.77.9.3:$E\",\"size\":2,\"data\":\"hi\"}" "JSON reply from C"
expect_contains "$TMP/err" "2 replies to 255.255.255.255:$E" "JSON count line on stderr"
# Ctrl+C ends the wait early: the replies so far, the count, exit 0. (ip netns exec execs sockit:
# the PID is sockit's.)
bg "${A[@]}" udp send --broadcast --wait 30 "10.77.9.255:$E" early >"$TMP/int.out" 2>"$TMP/int.err"
SENDER=$BG_PID
for _ in $(seq 50); do [ "$(wc -l <"$TMP/int.out")" -ge 2 ] && break; sleep 0.1; done
start=$SECONDS
kill -INT "$SENDER"
for _ in $(seq 30); do kill -0 "$SENDER" 2>/dev/null || break; sleep 0.1; done
wait "$SENDER"; RC=$?
expect_rc 0 "broadcast wait ended by SIGINT"
[ $((SECONDS - start)) -le 2 ] || fail "SIGINT took $((SECONDS - start)) s to end the wait"
expect_lines "$TMP/int.out" 2 "replies before SIGINT"
expect_eq "$(cat "$TMP/int.err")" "sockit: 2 replies to 10.77.9.255:$E before the interruption" "count line after SIGINT"
# Nobody listens on that port: exit 1 after --wait, one line.
Z=$((E == 65535 ? E - 1 : E + 1))
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --broadcast --wait 0.3 "10.77.9.255:$Z" anyone
expect_rc 1 "broadcast without a reply"
expect_eq "$(cat "$TMP/err")" "sockit: udp broadcast 10.77.9.255:$Z: no reply within 0.3 s" "no-reply line"

# A broadcast address without --broadcast: a usage error naming what it is, before any socket.
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send -w 0.3 "10.77.9.255:$E" x
expect_rc 2 "directed broadcast without --broadcast"
expect_lines "$TMP/err" 1 "directed broadcast without --broadcast stderr"
expect_contains "$TMP/err" "10.77.9.255 is the broadcast address of eth0's subnet: add --broadcast" "its message"
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send -w 0.3 "255.255.255.255:$E" x
expect_rc 2 "limited broadcast without --broadcast"
expect_contains "$TMP/err" "255.255.255.255 is the limited broadcast address: add --broadcast" "its message"
# lo's 127.255.255.255 (a broadcast route, though lo cannot broadcast): the kernel's EACCES, named.
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send -w 0.3 "127.255.255.255:$E" x
expect_rc 2 "lo's broadcast address without --broadcast"
expect_eq "$(cat "$TMP/err")" "sockit: udp 127.255.255.255:$E: 127.255.255.255 is a broadcast address here: add --broadcast to send to it (EACCES)" "EACCES line"
# Interfaces: lo has no broadcast address; an unknown name is named, with the ones there are.
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --broadcast --iface lo -w 0.3 "255.255.255.255:$E" x
expect_rc 1 "--iface lo"
expect_eq "$(cat "$TMP/err")" "sockit: interface 'lo' has no broadcast address: a loopback link cannot broadcast" "--iface lo line"
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --broadcast --iface nope0 -w 0.3 "255.255.255.255:$E" x
expect_rc 1 "--iface nope0"
expect_eq "$(cat "$TMP/err")" "sockit: unknown interface 'nope0' (this machine has: lo, eth0)" "unknown interface line"
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --iface eth0 -w 0.3 "10.77.9.2:$E" x
expect_rc 2 "--iface without --broadcast"
expect_lines "$TMP/err" 1 "--iface without --broadcast stderr"
# Broadcast is IPv4's; a multicast group is mcast send's.
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --broadcast -w 0.3 "[fd77:9::ff]:$E" x
expect_rc 2 "--broadcast to IPv6"
expect_contains "$TMP/err" "--broadcast is IPv4 only" "--broadcast to IPv6 message"
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send --broadcast -w 0.3 "239.255.255.250:$E" x
expect_rc 2 "--broadcast to a multicast group"
expect_contains "$TMP/err" "multicast group" "--broadcast to a group message"
# Without --broadcast, a unicast send in the LAN still works as before (connected, one reply).
run "$TMP/out" "$TMP/err" -- "${A[@]}" udp send -w 2 "10.77.9.3:$E" unicast
expect_rc 0 "unicast send in the LAN"
expect_eq "$(cat "$TMP/out")" "unicast" "unicast reply"
finish

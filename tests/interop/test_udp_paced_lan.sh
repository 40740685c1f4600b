#!/usr/bin/env bash
# labels: long
# 10,000 paced datagrams between two hosts counted with no loss on a quiet bridge: make_lan's hosts
# A (10.77.9.1) and B (10.77.9.2), in namespaces of the test's own. B runs `sockit echo -u` (rate
# limit off: A is not loopback; 4 MiB receive buffer); A runs `sockit bench --udp --rate 2000
# -n 10000` (about 5 s) with a 4 MiB receive buffer too, and every datagram must come back:
# lost 0, echoed 10000. The server's totals agree (10,000 and more datagrams, none dropped).
. "$SOCKIT_TEST_LIB"
make_lan

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }
MiB4=$((4 * 1024 * 1024))

bg ip netns exec "$LAN_B" "$SOCKIT" --json echo -u -b 0.0.0.0 -p 0 --udp-rate 0 --rcvbuf "$MiB4" \
  >"$TMP/srv.out" 2>"$TMP/srv.err"
SERVER=$BG_PID
listening_port E "$TMP/srv.err" udp echo

# The path works (and ARP is resolved) before the count starts.
ok=""
for _ in $(seq 20); do
  ip netns exec "$LAN_A" timeout 10 "$SOCKIT" --json bench "${LAN_IP4[1]}:$E" --udp -n 5 >"$TMP/probe" 2>/dev/null
  [ "$(json_num "$TMP/probe" udp_echoed)" = 5 ] && { ok=1; break; }
  sleep 0.2
done
[ -n "$ok" ] || die "no echo from ${LAN_IP4[1]}:$E across the bridge: $(cat "$TMP/probe")"

start=$(date +%s.%N)
ip netns exec "$LAN_A" timeout 60 "$SOCKIT" --json bench "${LAN_IP4[1]}:$E" --udp --rate 2000 -n 10000 -d 64 \
  --rcvbuf "$MiB4" >"$TMP/out" 2>"$TMP/err"
RC=$?
end=$(date +%s.%N)
expect_rc 0 "bench --udp --rate 2000 -n 10000 from A to B"
sent=$(json_num "$TMP/out" udp_sent)
echoed=$(json_num "$TMP/out" udp_echoed)
lost=$(json_num "$TMP/out" udp_lost)
echo "A -> B: sent ${sent:-?}, echoed ${echoed:-?}, lost ${lost:-?}, reordered $(json_num "$TMP/out" udp_reordered)," \
  "rcvbuf $(json_num "$TMP/out" rcvbuf), $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
expect_eq "$sent" 10000 "datagrams sent"
expect_eq "$lost" 0 "datagrams lost on the quiet bridge"
expect_eq "$echoed" 10000 "datagrams echoed"
# Paced: 10,000 at 2000/s is 5 s, not a burst.
secs=$(json_num "$TMP/out" duration_s)
awk -v s="$secs" 'BEGIN { exit !(s >= 4.5 && s < 15) }' || fail "10,000 datagrams at 2000/s took ${secs}s"

stop_server "$SERVER"
expect_rc 0 "echo after SIGTERM"
if udp_dropped dropped "$TMP/srv.out"; then expect_eq "$dropped" 0 "replies dropped by the server"; fi
served=$(grep '"event":"totals"' "$TMP/srv.out" | sed -n 's/.*"datagrams":\([0-9]*\).*/\1/p' | head -1)
[ "${served:-0}" -ge 10000 ] || fail "the server's totals count ${served:-no} datagrams, fewer than 10000: $(grep totals "$TMP/srv.out")"
finish

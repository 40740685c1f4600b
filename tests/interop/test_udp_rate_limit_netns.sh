#!/usr/bin/env bash
# The UDP services' per-source rate limit, from a source that is not loopback: two test network
# namespaces joined by a veth pair (10.77.0.1 server side, 10.77.0.2 client side, private and only
# inside them). `sockit echo -u --udp-rate 5 --udp-burst 10` bound to 0.0.0.0 answers a burst of 60
# datagrams from 10.77.0.2 with about 10 replies, while the same burst from 127.0.0.1 inside the
# server's namespace is answered in full (loopback is exempt); the totals count what was held back.
. "$SOCKIT_TEST_LIB"
need socat ip
make_netns; SRV_NS=$NS
make_netns; CLI_NS=$NS
# Created inside the namespaces: nothing appears in the host's network.
ip -n "$SRV_NS" link add veth0 type veth peer name veth1 netns "$CLI_NS" \
  || skip "cannot create a veth pair here (ip link add type veth failed)"
ip -n "$SRV_NS" addr add 10.77.0.1/24 dev veth0 || die "address in $SRV_NS"
ip -n "$CLI_NS" addr add 10.77.0.2/24 dev veth1 || die "address in $CLI_NS"
ip -n "$SRV_NS" link set veth0 up || die "veth0 up"
ip -n "$CLI_NS" link set veth1 up || die "veth1 up"

E=$(free_port udp)
bg ip netns exec "$SRV_NS" "$SOCKIT" --json echo -u -b 0.0.0.0 -p "$E" --udp-rate 5 --udp-burst 10 \
  >"$TMP/out" 2>"$TMP/err"
SERVER=$BG_PID
wait_listen "$E" udp "$SRV_NS"

# The path works: one datagram from the other namespace is answered (also waits out the veth
# link coming up).
ok=""
for _ in $(seq 20); do
  r=$(echo hi | ip netns exec "$CLI_NS" timeout 5 socat -T 0.5 - "UDP:10.77.0.1:$E" 2>/dev/null)
  [ "$r" = hi ] && { ok=1; break; }
  sleep 0.2
done
[ -n "$ok" ] || die "no echo from 10.77.0.1:$E across the veth pair"
sleep 1  # refills the token the probe (or probes) took: 5/s, burst 10

# burst NETNS ADDR: sends 60 datagrams back to back from one socket; prints the replies counted
# on that same socket. (socat -b 4 reads stdin 4 bytes at a time and sends each read as one datagram.)
N=60
burst() {
  for i in $(seq $N); do printf 'b%03d' "$i"; done |
    ip netns exec "$1" timeout 10 socat -T 2 -b 4 - "UDP:$2:$E" | tr -cd 'b' | wc -c
}
remote=$(burst "$CLI_NS" 10.77.0.1)
echo "burst of $N datagrams from 10.77.0.2 drew $remote replies"
[ "$remote" -gt 0 ] || fail "the burst from 10.77.0.2 drew no reply at all"
[ "$remote" -le 16 ] || fail "the burst from 10.77.0.2 drew $remote replies, more than burst 10 (+5/s) allows"

local_replies=$(burst "$SRV_NS" 127.0.0.1)
echo "burst of $N datagrams from 127.0.0.1 drew $local_replies replies"
expect_eq "$local_replies" "$N" "replies to a loopback burst on the same server"

stop_server "$SERVER"
expect_rc 0 "echo after SIGTERM"
if udp_dropped dropped "$TMP/out"; then
  [ "$dropped" -ge $((N - remote)) ] || fail "totals count $dropped dropped replies, expected at least $((N - remote)): $(grep '"event":"totals"' "$TMP/out")"
fi
finish

#!/usr/bin/env bash
# sockit bench --udp --rate/--count on loopback: a paced run of 300 datagrams at 600/s against
# sockit echo takes about half a second, and every datagram is accounted for (sent 300 = echoed
# + lost, reported in text and in --json); 65507-byte datagrams come back whole; echoes answered
# out of order are counted as reordered; --rcvbuf above net.core.rmem_max is reported; the pacing and count options refuse hostile values
# (nan, inf, huge, 0, without --udp, --warmup with --count) with one line and exit 2.
. "$SOCKIT_TEST_LIB"

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }

bg "$SOCKIT" echo -u -p 0 --udp-rate 0 --rcvbuf 1048576 >"$TMP/srv.out" 2>"$TMP/srv.err"
listening_port E "$TMP/srv.err" udp echo

run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$E" --udp -c 3 -d 16 --rate 600 -n 300 --rcvbuf 262144
expect_rc 0 "bench --udp --rate 600 -n 300"
expect_eq "$(json_num "$TMP/out" udp_sent)" 300 "datagrams sent"
echoed=$(json_num "$TMP/out" udp_echoed)
lost=$(json_num "$TMP/out" udp_lost)
expect_eq "$((echoed + lost))" 300 "echoed ($echoed) + lost ($lost) = sent"
expect_eq "$(json_num "$TMP/out" count)" 300 "count in the JSON"
expect_eq "$(json_num "$TMP/out" rate_pps)" 600 "rate in the JSON"
for key in udp_reordered rcvbuf; do expect_contains "$TMP/out" "\"$key\":[0-9]" "--json has $key"; done
secs=$(json_num "$TMP/out" duration_s)
echo "300 datagrams at 600/s: ${secs}s, $echoed echoed, $lost lost"
# 300 at 600/s is 0.5 s of sending; paced, not a burst (which takes milliseconds).
awk -v s="$secs" 'BEGIN { exit !(s >= 0.4 && s < 3) }' || fail "a paced run of 0.5 s took ${secs}s"

# The largest datagram IPv4 carries goes through the batched echo whole (its buffers are 64 KiB
# each: nothing cut), 40 of them on 2 sockets. One in flight per socket: the load generator's
# default receive buffer (net.core.rmem_default, 208 KiB) holds only a few such echoes at once.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$E" --udp -c 2 -d 1 -s 65507 -n 40
expect_rc 0 "bench --udp -s 65507 -n 40"
expect_eq "$(json_num "$TMP/out" udp_echoed)" 40 "65507-byte datagrams echoed whole"

run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$E" --udp --rate 2000 -t 0.5 --warmup 0.1
expect_rc 0 "bench --udp --rate 2000 -t 0.5 (text)"
expect_match "$TMP/out" "^  udp +sent [0-9]+, echoed [0-9]+, lost [0-9]+, reordered [0-9]+$" "the udp line in text"
expect_contains "$TMP/out" "2000/s in all" "the header names the rate"

# Reordering is counted: a Python echo that answers each pair of datagrams in swapped order
# (it holds one until the next arrives) draws 100 reordered echoes out of 200, none lost.
need python3
P=$(free_port udp)
cat >"$TMP/swap.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)  # bounded: gone 30 s after the last datagram
held = None
while True:
    try:
        data, peer = s.recvfrom(65536)
    except socket.timeout:
        break
    if held is None:
        held = data
        continue
    s.sendto(data, peer)
    s.sendto(held, peer)
    held = None
PY
bg python3 "$TMP/swap.py" "$P"
wait_listen "$P" udp
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" --udp -c 1 -d 4 -n 200
expect_rc 0 "bench --udp -n 200 against a swapping echo"
expect_eq "$(json_num "$TMP/out" udp_reordered)" 100 "reordered echoes (every second one)"
expect_eq "$(json_num "$TMP/out" udp_echoed)" 200 "echoed, reordered or not"
expect_eq "$(json_num "$TMP/out" udp_lost)" 0 "lost"

# A receive buffer above net.core.rmem_max is capped by the kernel, never silently: both say so.
bg "$SOCKIT" echo -u -p 0 --udp-rate 0 --rcvbuf 1073741824 >"$TMP/big.out" 2>"$TMP/big.err"
listening_port B "$TMP/big.err" udp echo
expect_contains "$TMP/big.err" "^sockit: --rcvbuf 1073741824: the kernel allowed [0-9]* bytes (net.core.rmem_max" "echo --rcvbuf above the cap"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$B" --udp -n 5 --rcvbuf 1073741824
expect_rc 0 "bench --rcvbuf above the cap"
expect_contains "$TMP/err" "^sockit: bench: --rcvbuf 1073741824: the kernel allowed [0-9]* bytes" "bench --rcvbuf above the cap"
# -v says what the kernel made of it, as of every other socket option (the raw, doubled value).
run "$TMP/out" "$TMP/err" -- "$SOCKIT" -v bench "127.0.0.1:$B" --udp -n 5 --rcvbuf 40000
expect_rc 0 "bench -v --rcvbuf 40000"
expect_contains "$TMP/err" "socket option SO_RCVBUF: asked 40000, kernel has 80000" "bench -v --rcvbuf 40000"

while read -r args; do
  # shellcheck disable=SC2086
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$E" $args
  expect_rc 2 "bench $args"
  expect_lines "$TMP/err" 1 "bench $args: one error line"
done <<'CASES'
--udp --rate nan
--udp --rate inf
--udp --rate -5
--udp --rate 0
--udp --rate 1e300
--udp -n 0
--udp -n 1e3
--udp -n 99999999999999999999
--udp --rcvbuf 0
--udp --rcvbuf 4294967296
--rate 100
-n 10
--udp -n 10 --warmup 1
CASES
expect_contains "$TMP/err" "has no meaning with --count" "--warmup with --count says why"

finish

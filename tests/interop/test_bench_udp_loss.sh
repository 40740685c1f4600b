#!/usr/bin/env bash
# sockit bench warns on stderr when UDP loss is high (over 10%), naming the loss and the likely
# cause (a server rate limit such as sockit echo's --udp-rate); the run itself still succeeds.
# The lossy server is a Python echo that answers only even sequence numbers (half the datagrams);
# sockit echo without a rate limit is the quiet case.
. "$SOCKIT_TEST_LIB"
need python3

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }

P=$(free_port udp)
cat >"$TMP/lossy.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(30)  # bounded: gone 30 s after the last datagram
while True:
    try:
        data, peer = s.recvfrom(65536)
    except socket.timeout:
        break
    if len(data) >= 8 and struct.unpack_from("<Q", data)[0] % 2 == 0:
        s.sendto(data, peer)
PY
bg python3 "$TMP/lossy.py" "$P"
wait_listen "$P" udp

run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$P" --udp -c 1 -d 8 -t 1.5 --warmup 0.3
expect_rc 0 "bench --udp against a server losing half the datagrams"
lost=$(json_num "$TMP/out" udp_lost)
sent=$(json_num "$TMP/out" udp_sent)
echo "lossy echo: ${lost:-?} of ${sent:-?} lost"
[ "${lost:-0}" -gt 0 ] || fail "the lossy echo lost nothing? $(cat "$TMP/out")"
expect_lines "$TMP/err" 1 "bench --udp with high loss: one warning line"
expect_contains "$TMP/err" "^sockit: bench: warning: $lost of $sent datagrams lost ([0-9]*%)" "the warning names the loss"
expect_contains "$TMP/err" "rate limit in the server.*--udp-rate" "the warning names the likely cause"

# Text output warns the same way.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" --udp -c 1 -d 8 -t 1.5 --warmup 0.3
expect_rc 0 "bench --udp (text) against a lossy server"
expect_contains "$TMP/err" "^sockit: bench: warning: [0-9]* of [0-9]* datagrams lost" "text mode warns too"

# No loss to speak of: no warning.
Q=$(free_port udp)
bg "$SOCKIT" echo --udp --port "$Q" --udp-rate 0
wait_listen "$Q" udp
run "$TMP/out" "$TMP/err" -- "$SOCKIT" --json bench "127.0.0.1:$Q" --udp -c 2 -d 4 -t 0.5 --warmup 0.1
expect_rc 0 "bench --udp against sockit echo --udp-rate 0"
expect_lines "$TMP/err" 0 "bench --udp without loss: nothing on stderr"

finish

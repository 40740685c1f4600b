#!/usr/bin/env bash
# sockit mcast's command line, between two hosts of a test network (make_lan; fixed ports, each
# namespace has its own): MESSAGE '-' reads stdin, --json one object per datagram, -x dumps,
# --buffer shows a truncated datagram as truncated, Ctrl+C prints the count (recv) or how many
# were sent (send), and bad arguments are one line and exit 2 (also run inside a namespace: a bug
# there must not send anything to the machine's own network).
. "$SOCKIT_TEST_LIB"
make_lan
. "$(dirname "$SOCKIT_TEST_LIB")/mcast_lib.sh"
G=239.77.9.30

# stdin as the message, and --json.
rm -f "$TMP/RB.err"  # not the last server's listening line
bg ip netns exec "$LAN_B" "$SOCKIT" --json mcast recv --count 2 --timeout 5 "$G:5300" >"$TMP/RB.out" 2>"$TMP/RB.err"
RB=$BG_PID
listening_port _ "$TMP/RB.err" udp
printf 'from stdin\n' | msend "$LAN_A" "$G:5300" -
msend "$LAN_A" "$G:5300" 'say "hi"'
finished "$RB" "--json receiver" 0
expect_lines "$TMP/RB.out" 2 "--json receiver"
expect_match "$TMP/RB.out" '^\{"from":"10\.77\.9\.1:[0-9]+","size":11,"data":"from stdin\\n"\}$' "--json object for stdin's message"
expect_match "$TMP/RB.out" '^\{"from":"10\.77\.9\.1:[0-9]+","size":8,"data":"say \\"hi\\""\}$' "--json object with quotes"
if command -v jq >/dev/null; then
  expect_eq "$(jq -r .data <"$TMP/RB.out" | head -1)" "from stdin" "jq reads the objects"
fi

# send --json: one summary object.
out=$(ip netns exec "$LAN_A" timeout 10 "$SOCKIT" --json mcast send -c 2 -i 0 "$G:5304" abc)
expect_eq "$out" '{"group":"239.77.9.30:5304","sent":2,"bytes":3}' "send --json summary"

# --buffer 4: the datagram is reported truncated, with its real size; -x dumps what was kept.
rm -f "$TMP/RB.err"  # not the last server's listening line
bg ip netns exec "$LAN_B" "$SOCKIT" --json -x mcast recv --buffer 4 --count 1 --timeout 5 "$G:5301" >"$TMP/RB.out" 2>"$TMP/RB.err"
RB=$BG_PID
listening_port _ "$TMP/RB.err" udp
msend "$LAN_A" "$G:5301" truncate-me
finished "$RB" "--buffer 4 receiver" 0
expect_match "$TMP/RB.out" '^\{"from":"10\.77\.9\.1:[0-9]+","size":11,"data":"trun","truncated":true\}$' "truncated datagram in JSON"
expect_match "$TMP/RB.err" '^0000   74 72 75 6e +trun *$' "-x dump of the kept bytes"
mrecv "$LAN_B" RB --buffer 4 --count 1 --timeout 5 "$G:5302"
msend "$LAN_A" "$G:5302" truncate-me
finished "$RB" "--buffer 4 receiver (text)" 0
expect_match "$TMP/RB.out" '^10\.77\.9\.1:[0-9]+ \(11 bytes\): trun$' "truncated datagram as text"
expect_contains "$TMP/RB.err" "truncated: 4 of its 11 bytes kept" "truncation notice"

# Ctrl+C: recv prints the count on stderr and exits 0; send stops and says how far it got.
mrecv "$LAN_B" RB "$G:5303"
msend "$LAN_A" --count 3 --interval 0 "$G:5303" x
for _ in $(seq 50); do [ "$(wc -l <"$TMP/RB.out")" -ge 3 ] && break; sleep 0.1; done
kill -INT "$RB"
finished "$RB" "recv after Ctrl+C" 0
expect_lines "$TMP/RB.out" 3 "recv before Ctrl+C"
expect_contains "$TMP/RB.err" "sockit: 3 datagrams received from $G" "recv's count line"
grep -q "$G" <(ip -n "$LAN_B" maddr show dev eth0) && fail "B still a member of $G after Ctrl+C"
bg ip netns exec "$LAN_A" "$SOCKIT" -v mcast send --count 1000 --interval 0.1 "$G:5303" tick 2>"$TMP/send.err"
SA=$BG_PID
for _ in $(seq 100); do grep -q "sent 4 bytes" "$TMP/send.err" && break; sleep 0.1; done  # it is sending
sleep 0.3
kill -INT "$SA"
finished "$SA" "send after Ctrl+C" 0
expect_match "$TMP/send.err" "^sockit: sent [1-9][0-9]? of 1000 datagrams to $G:5303\$" "send's line after Ctrl+C"

# A reader that goes away (| head -1): recv stops at its next write, quietly, and leaves the group.
# Its stderr is opened by the background subshell, maybe after listening_port looked: gone first,
# or the last receiver's listening line would pass for this one's and the datagrams go unheard.
rm -f "$TMP/RB.err"
( ip netns exec "$LAN_B" timeout 10 "$SOCKIT" mcast recv --count 5 --timeout 5 "$G:5305" 2>"$TMP/RB.err" | head -n 1 >"$TMP/RB.out"
  echo "${PIPESTATUS[0]}" >"$TMP/RB.rc" ) &
PIPE=$!
_PIDS+=("$PIPE")
listening_port _ "$TMP/RB.err" udp
msend "$LAN_A" --count 3 --interval 0.2 "$G:5305" piped
wait "$PIPE"
expect_eq "$(cat "$TMP/RB.rc")" 0 "recv into a closed pipe: exit code"
expect_match "$TMP/RB.out" ': piped$' "recv into a closed pipe: the first datagram"
expect_lines "$TMP/RB.err" 1 "recv into a closed pipe: stderr has the listening line only"

# Bad arguments: one line, exit 2 (1 for an interface that does not exist), nothing sent.
bad() {  # bad CODE PATTERN ARGS...
  local code=$1 pat=$2; shift 2
  run "$TMP/out" "$TMP/err" -- ip netns exec "$LAN_A" "$SOCKIT" mcast "$@"
  expect_rc "$code" "mcast $*"
  expect_contains "$TMP/err" "$pat" "mcast $*"
  expect_lines "$TMP/err" 1 "mcast $* (one line)"
}
bad 2 "'10.77.9.2' is not a multicast group (IPv4 224.0.0.0/4, IPv6 ff00::/8)" send 10.77.9.2:5000 x
bad 2 "'fd77:9::2' is not a multicast group" recv "[fd77:9::2]:5000"
bad 2 "bad group 'localhost:5000'" send localhost:5000 x
bad 2 "bad group '\[ff02::1%no-such0\]:5000': no interface 'no-such0' here" send "[ff02::1%no-such0]:5000" x
bad 2 "bad port '0'" recv "$G:0"
bad 2 "bad address" send "$G" x
for v in 256 -1 nan 1.5 1e3; do bad 2 "$v" send --ttl "$v" "$G:5000" x; done
for v in nan inf -1 1e300; do bad 2 "$v" send --interval "$v" "$G:5000" x; done
for v in nan inf 0 -3 1e300; do bad 2 "$v" recv --timeout "$v" "$G:5000"; done
for v in 0 -1 nan; do bad 2 "$v" recv --count "$v" "$G:5000"; bad 2 "$v" send --count "$v" "$G:5000" x; done
for v in 0 65537 1e9; do bad 2 "$v" recv --buffer "$v" "$G:5000"; done
bad 1 "interface no-such0: no such network interface" recv --iface no-such0 "$G:5000"
bad 1 "interface no-such0: no such network interface" send --iface no-such0 "$G:5000" x
bad 1 "interface 4242: no network interface has index 4242" send --iface 4242 "$G:5000" x
bad 1 "interface 10.1.1.1: no network interface here has that address" send --iface 10.1.1.1 "$G:5000" x
bad 2 "bad --ssm-source 'fd77:9::1': an IPv6 address for an IPv4 group" recv --ssm-source fd77:9::1 "$G:5000"
bad 2 "bad --ssm-source '239.1.1.1': a multicast address cannot be a source" recv --ssm-source 239.1.1.1 "$G:5000"
bad 2 "bad --ssm-source '0.0.0.0': the unspecified address cannot be a source" recv --ssm-source 0.0.0.0 "$G:5000"
bad 2 "bad --ssm-source '255.255.255.255': the broadcast address cannot be a source" recv --ssm-source 255.255.255.255 "$G:5000"
bad 2 "bad --iface 'fd77:9::1': an IPv6 address for an IPv4 group" send --iface fd77:9::1 "$G:5000" x
bad 2 "message" send "$G:5000"
head -c 70000 /dev/zero >"$TMP/big"
run "$TMP/out" "$TMP/err" -- ip netns exec "$LAN_A" "$SOCKIT" mcast send "$G:5000" - <"$TMP/big"
expect_rc 2 "a 70000-byte message"
expect_contains "$TMP/err" "longer than a UDP datagram" "a 70000-byte message"
finish

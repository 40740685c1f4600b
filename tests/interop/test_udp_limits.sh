#!/usr/bin/env bash
# Datagram limits on loopback: a datagram longer than `udp recv --buffer` is reported as truncated,
# never cut silently: the text line keeps what fitted and a notice names the real size; --json
# says "truncated":true with the real "size". --buffer is checked; a message longer than a UDP
# datagram can carry is refused before sending. (The kernel's EMSGSIZE: test_udp_limits_netns.sh.)
. "$SOCKIT_TEST_LIB"
need socat

head -c 300 /dev/zero | tr '\0' x >"$TMP/300"
for json in "" --json; do
  rm -f "$TMP/recv.err"  # not the last server's listening line
  bg "$SOCKIT" $json udp recv --buffer 100 --count 2 --wait 10 127.0.0.1:0 >"$TMP/recv" 2>"$TMP/recv.err"
  RECV=$BG_PID
  listening_port U "$TMP/recv.err" udp
  socat -u - "UDP-SENDTO:127.0.0.1:$U" <"$TMP/300"
  printf 'short' | socat -u - "UDP-SENDTO:127.0.0.1:$U"
  for _ in $(seq 50); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
  wait "$RECV"; RC=$?
  expect_rc 0 "udp recv $json --buffer 100"
  expect_lines "$TMP/recv" 2 "udp recv $json --buffer 100 output"
  x100=$(head -c 100 "$TMP/300")
  if [ -z "$json" ]; then
    expect_match "$TMP/recv" "^127\.0\.0\.1:[0-9]+: $x100\$" "the truncated datagram's first 100 bytes"
    expect_match "$TMP/recv" '^127\.0\.0\.1:[0-9]+: short$' "the short datagram, whole"
    expect_match "$TMP/recv.err" '^sockit: datagram from 127\.0\.0\.1:[0-9]+ truncated: 100 of its 300 bytes kept$' "truncation notice"
    n=$(grep -c truncated "$TMP/recv.err")
    expect_eq "$n" 1 "one truncation notice (the short datagram is whole)"
  else
    expect_match "$TMP/recv" "^\{\"from\":\"127\.0\.0\.1:[0-9]+\",\"size\":300,\"data\":\"$x100\",\"truncated\":true\}\$" "JSON of the truncated datagram"
    expect_match "$TMP/recv" '^\{"from":"127\.0\.0\.1:[0-9]+","size":5,"data":"short"\}$' "JSON of the short datagram"
    grep -q truncated "$TMP/recv.err" && fail "--json: truncation on stderr too: $(cat "$TMP/recv.err")"
  fi
done
# The default buffer (65536) keeps the largest datagram whole.
rm -f "$TMP/recv.err"  # not the last server's listening line
bg "$SOCKIT" --json udp recv --count 1 --wait 10 127.0.0.1:0 >"$TMP/recv" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port U "$TMP/recv.err" udp
head -c 65507 /dev/zero | "$SOCKIT" udp send -w 0.2 "127.0.0.1:$U" >/dev/null 2>&1
for _ in $(seq 50); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "udp recv of a 65507-byte datagram"
expect_match "$TMP/recv" '"size":65507,' "65507 bytes received"
grep -q truncated "$TMP/recv" && fail "a 65507-byte datagram was truncated with the default buffer"

# --buffer is checked: one usage line each.
for bad in 0 65537 -1 nan 1e3 ''; do
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp recv --buffer "$bad" --wait 0.1 127.0.0.1:0
  expect_rc 2 "udp recv --buffer '$bad'"
  expect_lines "$TMP/err" 1 "udp recv --buffer '$bad' stderr"
done
expect_contains "$TMP/err" "buffer" "the --buffer line names the option"

# Longer than a datagram can carry: refused before sending, naming both sizes.
head -c 65508 /dev/zero >"$TMP/big"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send -w 0.2 127.0.0.1:9 <"$TMP/big"
expect_rc 2 "udp send of 65508 bytes over IPv4"
expect_eq "$(cat "$TMP/err")" "sockit: udp send: message of 65508 bytes is longer than a UDP datagram to 127.0.0.1:9 can carry (65507 bytes)" "65508-byte line"
finish

#!/usr/bin/env bash
# What sockit ping puts on the wire, from a tshark capture of its own traffic on lo inside a test
# namespace: requests (type 8) and replies (type 0) whose checksums tshark finds good, one
# identifier, sequences 1..3, and the payload: the send time (8 bytes, big-endian nanoseconds of a
# monotonic clock, so consecutive requests differ by about the interval), the sequence, then
# byte i = i (as iputils fills it).
. "$SOCKIT_TEST_LIB"
need tshark
make_netns
bg ip netns exec "$NS" tshark -i lo -f icmp -w "$TMP/cap.pcapng" -q >/dev/null 2>"$TMP/tshark.err"
TSHARK=$BG_PID
for _ in $(seq 100); do grep -q "Capturing on" "$TMP/tshark.err" && break; sleep 0.1; done
grep -q "Capturing on" "$TMP/tshark.err" || skip "tshark cannot capture on lo here: $(head -c 200 "$TMP/tshark.err")"
sleep 0.3
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" ping -c 3 -i 0.25 127.0.0.1
expect_rc 0 "ping inside the namespace"
# Until the six packets are in the file (dumpcap writes each as it comes; a fixed pause could stop
# it with the last ones still unwritten on a loaded machine), up to 10 s.
for _ in $(seq 20); do
  [ "$(tshark -r "$TMP/cap.pcapng" -Y icmp 2>/dev/null | wc -l)" -ge 6 ] && break
  sleep 0.5
done
kill -INT "$TSHARK"; wait "$TSHARK" 2>/dev/null
tshark -r "$TMP/cap.pcapng" -T fields -e icmp.type -e icmp.checksum.status -e icmp.ident -e icmp.seq -e data.data \
  2>/dev/null >"$TMP/fields"
expect_lines "$TMP/fields" 6 "three requests and three replies"
[ "$(awk '$1 == 8' "$TMP/fields" | wc -l)" -eq 3 ] || fail "requests: $(cat "$TMP/fields")"
[ "$(awk '$1 == 0' "$TMP/fields" | wc -l)" -eq 3 ] || fail "replies: $(cat "$TMP/fields")"
[ "$(awk '$2 != 1' "$TMP/fields" | wc -l)" -eq 0 ] || fail "a checksum tshark does not find good: $(cat "$TMP/fields")"
[ "$(cut -f3 "$TMP/fields" | sort -u | wc -l)" -eq 1 ] || fail "more than one identifier: $(cat "$TMP/fields")"
pattern=$(for i in $(seq 10 55); do printf '%02x' "$i"; done)
prev=""
while IFS=$'\t' read -r type status ident seq data; do
  [ "$type" = 8 ] || continue
  [ "${#data}" -eq 112 ] || fail "seq $seq: payload is not 56 bytes: $data"
  expect_eq "${data:16:4}" "$(printf '%04x' "$seq")" "seq $seq: the sequence in payload bytes 8-9"
  expect_eq "${data:20}" "$pattern" "seq $seq: payload bytes 10-55"
  sent=$((16#${data:0:16}))
  if [ -n "$prev" ]; then
    gap=$(( (sent - prev) / 1000000 ))
    [ "$gap" -ge 200 ] && [ "$gap" -le 400 ] || fail "seq $seq: send times ${gap} ms apart (-i 0.25)"
  fi
  prev=$sent
done <"$TMP/fields"
# Each reply carries its request's payload back unchanged.
[ "$(awk '$1 == 8 { print $4, $5 }' "$TMP/fields" | sort)" = "$(awk '$1 == 0 { print $4, $5 }' "$TMP/fields" | sort)" ] ||
  fail "replies do not echo the requests' payloads"
finish

#!/usr/bin/env bash
# The chapter's PingICMP (compiled with fpc, a raw socket: root) to localhost in a namespace of
# this test, next to `sockit ping` in the same namespace. The chapter's program is broken in the
# two ways PROTOCOL.md 6.13 says, and this test shows both rather than relying on it:
#   - its request's checksum is stored byte-swapped: tshark sees type 8, id, seq 1, 56 bytes of
#     0xAA, and a checksum that is the correct one with its two bytes swapped; the kernel counts an
#     ICMP checksum error (InCsumErrors) and sends no echo reply (OutEchoReps stays 0);
#   - it takes any ICMP packet for the reply: its raw socket gets its own looped-back request, so
#     it prints "Ping réussi" though nothing answered.
# sockit ping to the same address afterwards: a real reply, one more echo reply sent by the kernel,
# no new checksum error.
# labels: chapter
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/chapter_lib.sh"
need tshark python3
chapter_build PingICMP
chapter_netns

# icmp_counter NAME: the namespace's Icmp counter NAME from /proc/net/snmp.
icmp_counter() {
  "${IN[@]}" awk -v name="$1" '/^Icmp:/ { if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1 } else print $col[name] }' /proc/net/snmp
}

# right_checksum IDENT: the correct checksum of the chapter's request with this id (seq 1, 56 x 0xAA).
right_checksum() {
  python3 - "$1" <<'PY'
import struct, sys
pkt = struct.pack('!BBHHH', 8, 0, 0, int(sys.argv[1], 0), 1) + b'\xaa' * 56
s = sum(struct.unpack('!%dH' % (len(pkt) // 2), pkt))
while s >> 16:
    s = (s & 0xffff) + (s >> 16)
print('0x%04x' % (~s & 0xffff))
PY
}

# The id is the pid's low 16 bits. For about one pid in 256 the right checksum has two equal
# bytes, the swap changes nothing and the request is valid: then the run is left aside and the
# program run again (a new pid).
for attempt in 1 2 3; do
  csum_before=$(icmp_counter InCsumErrors) reps_before=$(icmp_counter OutEchoReps)
  capture_start ping "icmp[0] == 8" icmp.type icmp.code icmp.checksum icmp.ident icmp.seq data.data
  chapter_client "$TMP/ping.out" "$PingICMP" localhost
  capture_lines ping 1 | head -1 >"$TMP/request"
  read -r type code sum ident seq data <"$TMP/request"
  right=$(right_checksum "${ident:-0}")
  [ "$sum" = "$right" ] || break
  echo "note: id $ident gives a checksum with two equal bytes ($right): its swap is harmless; once more"
done

expect_rc 0 "PingICMP"
expect_contains "$TMP/ping.out" "Envoi ping à localhost (127.0.0.1)" "PingICMP's request line"
# Flaw 6.13: success reported from its own request.
expect_contains "$TMP/ping.out" "Ping réussi" "PingICMP reports success (from its own looped-back request)"
expect_eq "$(( $(icmp_counter InCsumErrors) - csum_before ))" 1 "the kernel counted PingICMP's request as a checksum error"
expect_eq "$(( $(icmp_counter OutEchoReps) - reps_before ))" 0 "the kernel sent no echo reply to PingICMP"

# The captured request: type 8 code 0, id, seq 1, 56 x 0xAA; checksum = the right one, bytes swapped.
expect_eq "$type/$code/$seq" "8/0/1" "PingICMP's request: type/code/seq"
expect_eq "$data" "$(printf 'aa%.0s' $(seq 56))" "PingICMP's request: 56 bytes of 0xAA"
expect_eq "$sum" "$(printf '0x%04x' $(( ((right & 0xff) << 8) | (right >> 8) )))" "PingICMP's checksum is the right one ($right) byte-swapped"
[ "$sum" != "$right" ] || fail "the checksum was right in three runs (two equal bytes three times, or no swap at all)"

# sockit ping in the same namespace: a real reply.
csum_before=$(icmp_counter InCsumErrors) reps_before=$(icmp_counter OutEchoReps)
run "$TMP/out" "$TMP/err" -- "${IN[@]}" "$SOCKIT" ping -c 1 -W 2 127.0.0.1
expect_rc 0 "sockit ping"
expect_contains "$TMP/out" "1 packets transmitted, 1 received, 0% packet loss" "sockit ping"
expect_eq "$(( $(icmp_counter InCsumErrors) - csum_before ))" 0 "sockit ping's request: no checksum error"
expect_eq "$(( $(icmp_counter OutEchoReps) - reps_before ))" 1 "the kernel answered sockit ping"
finish

#!/usr/bin/env bash
# The chapter's multicast programs (compiled with fpc) against sockit mcast, on 239.255.255.250:5353
# inside a namespace of this test whose lo carries multicast (PROTOCOL.md section 5: the route
# 224.0.0.0/4 dev lo src 127.0.0.1, in the namespace only, never on the machine):
# MulticastSender's "Message multicast de test" (25 bytes, from 127.0.0.1) reaches
# `sockit mcast recv`, and IP_MULTICAST_TTL 32 is on the wire (tshark); `sockit mcast send`'s
# datagrams reach MulticastReceiver, which prints each with its sender.
# labels: chapter
. "$SOCKIT_TEST_LIB"
. "$(dirname "$SOCKIT_TEST_LIB")/chapter_lib.sh"
need script tshark
chapter_build MulticastSender MulticastReceiver
chapter_netns
ip -n "$NS" route replace 224.0.0.0/4 dev lo src 127.0.0.1 || die "multicast route in $NS"
G=239.255.255.250

# 1. MulticastSender -> sockit mcast recv, with tshark in the namespace to read the TTL.
capture_start mcast "udp and dst host $G and dst port 5353" ip.src ip.ttl udp.length udp.payload
bg "${IN[@]}" "$SOCKIT" mcast recv --count 1 --timeout 5 "$G:5353" >"$TMP/recv.out" 2>"$TMP/recv.err"
RECV=$BG_PID
listening_port P "$TMP/recv.err" udp
chapter_client "$TMP/sender.out" "$MulticastSender"
expect_rc 0 "MulticastSender"
expect_contains "$TMP/sender.out" "Envoi multicast: Message multicast de test" "MulticastSender's line"
for _ in $(seq 100); do kill -0 "$RECV" 2>/dev/null || break; sleep 0.1; done
wait "$RECV"; RC=$?
expect_rc 0 "sockit mcast recv (one datagram within 5 s)"
expect_match "$TMP/recv.out" '^127\.0\.0\.1:[0-9]+ \(25 bytes\): Message multicast de test$' "sockit mcast recv prints the chapter's datagram"
# 33 = 8 + 25: the UDP length; the payload in hex.
expect_eq "$(capture_lines mcast 1)" \
  "$(printf '127.0.0.1\t32\t33\t%s' "$(printf 'Message multicast de test' | od -An -v -tx1 | tr -d ' \n')")" \
  "on the wire: from 127.0.0.1, TTL 32, 25 bytes"

# 2. sockit mcast send -> MulticastReceiver. On a terminal (script) FPC writes each line at once;
# its stdout in a file would stay in its buffer, lost when it is stopped.
bg "${IN[@]}" timeout 15 script -qfec "$MulticastReceiver" /dev/null </dev/null >"$TMP/receiver.out" 2>&1
RECEIVER=$BG_PID
# It has joined once the group is on lo (the join comes after its bind).
for _ in $(seq 100); do ip -n "$NS" maddr show dev lo | grep -q "inet  *$G\$" && break; sleep 0.1; done
ip -n "$NS" maddr show dev lo | grep -q "inet  *$G\$" || die "MulticastReceiver did not join $G: $(head -c 300 "$TMP/receiver.out")"
"${IN[@]}" timeout 10 "$SOCKIT" mcast send --count 2 --interval 0.1 "$G:5353" "bonjour du groupe" 2>"$TMP/send.err" \
  || fail "sockit mcast send: $(head -c 300 "$TMP/send.err")"
for _ in $(seq 50); do [ "$(grep -c 'bonjour du groupe' "$TMP/receiver.out")" -ge 2 ] && break; sleep 0.1; done
tr -d '\r' <"$TMP/receiver.out" >"$TMP/receiver.txt"
expect_contains "$TMP/receiver.txt" "En écoute sur le groupe multicast $G:5353" "MulticastReceiver joined"
[ "$(grep -cx "Reçu de 127.0.0.1: bonjour du groupe" "$TMP/receiver.txt")" -eq 2 ] \
  || fail "MulticastReceiver did not print both datagrams from 127.0.0.1: $(cat "$TMP/receiver.txt")"
finish

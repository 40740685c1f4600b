#!/usr/bin/env bash
# Each response of sockit proto serve leaves in one write: a tshark capture of the test's own port
# shows every answer as exactly one TCP segment carrying header and payload together (the chapter's
# server sent two: header, then payload).
. "$SOCKIT_TEST_LIB"
need tshark
[ "$(id -u)" -eq 0 ] || skip "needs root (packet capture on lo)"
bg "$SOCKIT" proto serve --port 0 >/dev/null 2>"$TMP/server.err"
listening_port P "$TMP/server.err" tcp proto
bg tshark -i lo -f "tcp port $P" -w "$TMP/cap.pcapng" -q >/dev/null 2>"$TMP/tshark.err"
TSHARK=$BG_PID
for _ in $(seq 100); do grep -q "Capturing on" "$TMP/tshark.err" && break; sleep 0.1; done
grep -q "Capturing on" "$TMP/tshark.err" || skip "tshark cannot capture on lo here: $(head -c 200 "$TMP/tshark.err")"
sleep 0.3

big=$(head -c 3000 /dev/zero | tr '\0' 'A')
for cmd in "ping" "echo abc" "echo $big" "time" "raw 99" "quit"; do
  # One connection per command, one request in flight: nothing can coalesce two answers.
  timeout 10 "$SOCKIT" proto call "127.0.0.1:$P" $cmd >/dev/null 2>&1
done
# Until the six responses are in the file (dumpcap writes each as it comes), up to 10 s.
for _ in $(seq 20); do
  [ "$(tshark -r "$TMP/cap.pcapng" -Y "tcp.srcport == $P && tcp.len > 0" 2>/dev/null | wc -l)" -ge 6 ] && break
  sleep 0.5
done
kill -INT "$TSHARK"; wait "$TSHARK" 2>/dev/null
tshark -r "$TMP/cap.pcapng" -Y "tcp.srcport == $P && tcp.len > 0" -T fields -e tcp.len >"$TMP/lens" 2>/dev/null
# ping 8+4, echo abc 8+9, echo 3000 8+3006, time 8+25 (ISO 8601 with offset), raw 99 8+15, quit 8+7
expect_eq "$(tr '\n' ' ' <"$TMP/lens")" "12 17 3014 33 23 15 " "one segment per response, header and payload together"
finish

#!/usr/bin/env bash
# sockit serve: a client of each service, from tools nobody here wrote (netcat-openbsd, socat,
# GNU date): echo byte-exact over TCP (4 MiB) and UDP, discard answers nothing, daytime parses
# back to within seconds of now, chargen follows the RFC 864 pattern over TCP and UDP.
. "$SOCKIT_TEST_LIB"
need nc socat date od cmp head

# Every service on port 0; the ports each socket got (TCP and UDP) from the listening lines.
serve_every_service "$TMP/out" "$TMP/err"

# The table names every service and protocol at its address.
for s in "echo tcp $E" "echo udp $EU" "discard tcp $D" "discard udp $DU" "daytime tcp $T" "daytime udp $TU" \
         "chargen tcp $C" "chargen udp $CU"; do
  set -- $s
  grep -Eq "^$1 +$2 +127\.0\.0\.1:$3\$" "$TMP/out" || fail "table lacks $1 $2 127.0.0.1:$3: $(cat "$TMP/out")"
done

# echo over TCP: 4 MiB of random bytes, byte-exact, through nc -N and through socat.
head -c 4194304 /dev/urandom >"$TMP/blob"
timeout 20 nc -N 127.0.0.1 "$E" <"$TMP/blob" >"$TMP/back.nc" || fail "nc echo exited $?"
cmp -s "$TMP/blob" "$TMP/back.nc" || fail "echo via nc: $(stat -c %s "$TMP/back.nc") bytes back, not byte-exact"
timeout 20 socat -t 5 -T 10 - "TCP:127.0.0.1:$E" <"$TMP/blob" >"$TMP/back.socat" || fail "socat echo exited $?"
cmp -s "$TMP/blob" "$TMP/back.socat" || fail "echo via socat: $(stat -c %s "$TMP/back.socat") bytes back, not byte-exact"

# echo over UDP: the reply is the datagram.
printf 'udp-echo\x00\xff' >"$TMP/dgram"
timeout 5 socat -t 1 - "UDP:127.0.0.1:$EU" <"$TMP/dgram" >"$TMP/dgram.back"
cmp -s "$TMP/dgram" "$TMP/dgram.back" || fail "UDP echo: got '$(od -An -c "$TMP/dgram.back")'"

# discard: takes everything, returns nothing (TCP and UDP).
head -c 100000 /dev/urandom | timeout 10 nc -N 127.0.0.1 "$D" >"$TMP/discard.tcp" || fail "nc discard exited $?"
[ -s "$TMP/discard.tcp" ] && fail "discard TCP sent back $(stat -c %s "$TMP/discard.tcp") bytes"
echo nothing | timeout 5 socat -t 1 - "UDP:127.0.0.1:$DU" >"$TMP/discard.udp"
[ -s "$TMP/discard.udp" ] && fail "discard UDP replied"

# daytime: "Tuesday, November 24, 2026 01:19:57-UTC" CRLF, then close; parsed back with date -d.
check_daytime() {  # FILE WHAT
  local line ts now
  [ "$(wc -l <"$1")" -eq 1 ] || fail "$2: expected one line, got: $(od -An -c "$1" | head -3)"
  [ "$(tail -c 2 "$1" | od -An -tx1 | tr -d ' ')" = "0d0a" ] || fail "$2: line does not end in CRLF"
  line=$(tr -d '\r\n' <"$1")
  [[ $line =~ ^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),\ ([A-Z][a-z]+\ [0-9]{2},\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2})-UTC$ ]] \
    || { fail "$2: unexpected format '$line'"; return; }
  ts=$(date -u -d "${BASH_REMATCH[2]} UTC" +%s) || { fail "$2: date cannot parse '$line'"; return; }
  [ "$(date -u -d "@$ts" +%A)" = "${BASH_REMATCH[1]}" ] || fail "$2: weekday wrong in '$line'"
  now=$(date +%s)
  [ $((now - ts)) -le 5 ] && [ $((ts - now)) -le 5 ] || fail "$2: '$line' is $((now - ts)) s away from now"
}
timeout 5 nc 127.0.0.1 "$T" </dev/null >"$TMP/day.tcp" || fail "nc daytime exited $? (server did not close?)"
check_daytime "$TMP/day.tcp" "daytime TCP"
echo x | timeout 5 socat -t 1 - "UDP:127.0.0.1:$TU" >"$TMP/day.udp"
check_daytime "$TMP/day.udp" "daytime UDP"

# chargen over TCP: 200 lines of 72 rotating printable characters + CRLF, each line starting one
# character later than the one before.
RING=$(printf "$(printf '\\%03o' $(seq 32 126))"); RING="$RING$RING"   # the 95 printable characters, twice
[ ${#RING} -eq 190 ] || die "could not build the character ring"
for i in $(seq 0 199); do printf '%s\r\n' "${RING:$((i % 95)):72}"; done >"$TMP/chargen.expected"
timeout 10 nc 127.0.0.1 "$C" </dev/null | head -c $((200 * 74)) >"$TMP/chargen.tcp"
cmp -s "$TMP/chargen.expected" "$TMP/chargen.tcp" || fail "chargen TCP does not follow the RFC 864 pattern: $(head -2 "$TMP/chargen.tcp" | od -An -c | head -4)"

# chargen over UDP: each datagram gets one reply of 0..512 bytes cut from the same pattern.
# sockit udp send exits 0 only when a reply (even an empty one) came back, so a server that never
# answers fails here; and at least one of the replies must carry characters.
nonempty=0
for i in 1 2 3 4 5; do
  timeout 5 "$SOCKIT" udp send -w 2 "127.0.0.1:$CU" x >"$TMP/chargen.udp.$i" 2>"$TMP/chargen.udp.err"
  rc=$?
  [ "$rc" -eq 0 ] || fail "chargen UDP datagram $i: no reply (exit $rc: $(cat "$TMP/chargen.udp.err"))"
  n=$(stat -c %s "$TMP/chargen.udp.$i")
  [ "$n" -gt 0 ] && nonempty=$((nonempty + 1))
  [ "$n" -le 512 ] || fail "chargen UDP reply of $n bytes (> 512)"
  if [ "$n" -gt 0 ]; then
    # Every line of the reply (the last may be cut short) is a window of the ring.
    tr -d '\r' <"$TMP/chargen.udp.$i" | while IFS= read -r l || [ -n "$l" ]; do
      [[ $RING == *"$l"* ]] || { echo bad; break; }
    done | grep -q bad && fail "chargen UDP reply $i is not the pattern: $(head -c 100 "$TMP/chargen.udp.$i")"
  fi
done
[ "$nonempty" -gt 0 ] || fail "chargen UDP: all 5 replies were empty"

kill -INT "$SERVE"
for _ in $(seq 50); do kill -0 "$SERVE" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVE" 2>/dev/null && fail "serve still running 5 s after SIGINT"
wait "$SERVE"; RC=$?
expect_rc 0 "serve after SIGINT"
grep -v '^sockit: listening on ' "$TMP/err" | grep -q . && fail "serve wrote to stderr (besides its listening lines): $(head -c 300 "$TMP/err")"
finish

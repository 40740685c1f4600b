#!/usr/bin/env bash
# sockit serve's UDP reflection guard: a datagram from a well-known source port (19, as chargen
# would send) gets no reply while the same from a high port does, loopback or not; a burst from
# 127.0.0.1 far beyond --udp-rate/--udp-burst is answered in full (loopback sources cannot be forged
# from outside, so they are not rate-limited); the totals count what was held back. The rate limit
# itself, from a non-loopback source, is tested in test_udp_rate_limit_netns.sh.
. "$SOCKIT_TEST_LIB"
need socat

bg "$SOCKIT" --json serve --udp --udp-rate 5 --udp-burst 10 \
  --echo-port 0 --discard-port 0 --daytime-port 0 --chargen-port 0 >"$TMP/out" 2>"$TMP/err"
SERVE=$BG_PID
listening_port E "$TMP/err" udp echo; listening_port T "$TMP/err" udp daytime; listening_port C "$TMP/err" udp chargen

# From a high port: answered.
echo hi | timeout 5 socat -T 1 - "UDP:127.0.0.1:$E" >"$TMP/high"
expect_eq "$(cat "$TMP/high")" "hi" "echo reply to a high source port"

# From source port 19 (binding it needs root): silence, for every answering service.
guarded=0
if [ "$(id -u)" -eq 0 ]; then
  for port in "$E" "$T" "$C"; do
    echo loop | timeout 5 socat -T 1 - "UDP:127.0.0.1:$port,sourceport=19,reuseaddr" >"$TMP/low.$port" 2>"$TMP/low.err" \
      || fail "socat from source port 19 failed: $(head -c 200 "$TMP/low.err")"
    [ -s "$TMP/low.$port" ] && fail "port $port answered a datagram from source port 19: $(head -c 80 "$TMP/low.$port")"
    guarded=$((guarded + 1))
  done
else
  echo "note: not root, cannot bind source port 19; the low-port rule is left to the totals check"
fi

# No rate limit for loopback: a burst of 60 datagrams from 127.0.0.1 (burst 10, 5/s would allow
# about 10) draws 60 replies. Sent quickly from one socket; replies are counted on that same socket.
N=60
# socat -b 4 reads stdin 4 bytes at a time and sends each read as one datagram, back to back.
replies=$(
  for i in $(seq $N); do printf 'b%03d' "$i"; done |
    timeout 10 socat -T 2 -b 4 - "UDP:127.0.0.1:$E" | tr -cd 'b' | wc -c
)
echo "burst of $N datagrams from 127.0.0.1 drew $replies replies"
expect_eq "$replies" "$N" "replies to a loopback burst beyond --udp-rate"
# The same from another address of 127.0.0.0/8.
replies=$(
  for i in $(seq $N); do printf 'b%03d' "$i"; done |
    timeout 10 socat -T 2 -b 4 - "UDP:127.0.0.1:$E,bind=127.0.0.2" | tr -cd 'b' | wc -c
)
expect_eq "$replies" "$N" "replies to a burst from 127.0.0.2"

stop_server "$SERVE"
expect_rc 0 "serve after SIGTERM"
if udp_dropped dropped "$TMP/out"; then
  expect_eq "$dropped" "$guarded" "dropped replies in the totals (the low-port datagrams only)"
fi
finish

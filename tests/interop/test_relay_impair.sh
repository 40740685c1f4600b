#!/usr/bin/env bash
# The relay's impairments, measured from what comes out (generous bounds, upper ones above all, as
# a loaded machine only ever adds time: this checks that each
# knob does what it says; precise figures belong to benchmarks): the TCP and UDP delay
# distributions (--delay, --jitter), the achieved TCP rate (--rate), and UDP loss, duplication and
# reordering near their percentages, the same again with the same --seed.
# Timing under a sanitizer says nothing about the relay, hence long (out of the ASan rerun).
# labels: long
. "$SOCKIT_TEST_LIB"
need python3 jq nc
PROBE="$(dirname "$SOCKIT_TEST_LIB")/relay_probe.py"

rm -f "$TMP/echo.err"  # not the last server's listening line
bg "$SOCKIT" echo --port 0 --udp-rate 0 >/dev/null 2>"$TMP/echo.err"
listening_port E "$TMP/echo.err" tcp echo
listening_port EU "$TMP/echo.err" udp echo

# in_range WHAT VALUE LO HI
in_range() { awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v >= lo && v <= hi) }' || fail "$1: $2 not in [$3, $4]"; }
start_relay() {  # start_relay NAME ARGS...: sets R
  local name=$1; shift
  rm -f "$TMP/err.$name"  # not the last server's listening line
  bg "$SOCKIT" relay "$@" >"$TMP/out.$name" 2>"$TMP/err.$name"
  RELAY=$BG_PID
  if [ "$1" = --udp ]; then listening_port R "$TMP/err.$name" udp; else listening_port R "$TMP/err.$name" tcp; fi
}

# TCP delay, client to target only: each RTT is 50 ms +- 20 ms plus loopback's own time.
start_relay tcpdelay 0 "127.0.0.1:$E" --delay 0.05 --jitter 0.02 --impair up --seed 1
res=$(timeout 30 python3 "$PROBE" tcp-rtt "$R" 40 0.05) || fail "tcp delay: $res"
echo "tcp --delay 0.05 --jitter 0.02 --impair up: rtt $(jq -c .rtt <<<"$res")"
in_range "tcp delay: min rtt" "$(jq .rtt.min <<<"$res")" 0.029 0.075
in_range "tcp delay: median rtt" "$(jq .rtt.median <<<"$res")" 0.038 0.09
in_range "tcp delay: max rtt" "$(jq .rtt.max <<<"$res")" 0.055 0.25
in_range "tcp delay: p90 - p10 (jitter)" "$(jq '.rtt.p90 - .rtt.p10' <<<"$res")" 0.01 0.06
stop_server "$RELAY"
grep -q 'impairments on (up; seed 1)' "$TMP/err.tcpdelay" || fail "tcp delay: no 'impairments on' notice: $(cat "$TMP/err.tcpdelay")"

# TCP rate: 1 MB at 500 kB/s takes about 2 s.
start_relay tcprate 0 "127.0.0.1:$E" --rate 500000 --impair up
head -c 1000000 /dev/urandom >"$TMP/mb"
t0=$(date +%s.%N)
timeout 30 nc -N 127.0.0.1 "$R" <"$TMP/mb" >"$TMP/mb.back" || fail "tcp rate: nc"
t1=$(date +%s.%N)
cmp -s "$TMP/mb" "$TMP/mb.back" || fail "tcp rate: the bytes differ"
rate=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", 1000000 / (b - a) }')
echo "tcp --rate 500000: achieved $rate bytes/s"
in_range "tcp rate (bytes/s)" "$rate" 300000 560000
stop_server "$RELAY"

# UDP delay both ways: RTT = two draws of 30 ms +- 10 ms.
start_relay udpdelay --udp 0 "127.0.0.1:$EU" --delay 0.03 --jitter 0.01 --seed 2
res=$(timeout 30 python3 "$PROBE" udp-rtt "$R" 30 0.02) || fail "udp delay: $res"
echo "udp --delay 0.03 --jitter 0.01: rtt $(jq -c .rtt <<<"$res")"
expect_eq "$(jq .lost <<<"$res")" "0" "udp delay: lost"
in_range "udp delay: min rtt" "$(jq .rtt.min <<<"$res")" 0.039 0.07
in_range "udp delay: median rtt" "$(jq .rtt.median <<<"$res")" 0.048 0.09
in_range "udp delay: max rtt" "$(jq .rtt.max <<<"$res")" 0.055 0.25
stop_server "$RELAY"

# UDP loss, duplication, reordering (client to target only), 1,000 datagrams 0.5 ms apart.
udp_seq() {  # udp_seq NAME ARGS...: prints the probe's JSON
  start_relay "$@"
  timeout 30 python3 "$PROBE" udp-seq "$R" 1000 0.0005 0.3
  stop_server "$RELAY"
}
res=$(udp_seq loss --udp 0 "127.0.0.1:$EU" --loss 20 --impair up --seed 7)
echo "udp --loss 20: $res"
in_range "udp loss 20 %: received of 1000" "$(jq .received <<<"$res")" 730 870
again=$(udp_seq loss2 --udp 0 "127.0.0.1:$EU" --loss 20 --impair up --seed 7)
# The same seed draws the same losses (exactly, unless the machine itself dropped one on the way).
in_range "udp loss: received with the same --seed (first run: $(jq .received <<<"$res"))" "$(jq .received <<<"$again")" "$(($(jq .received <<<"$res") - 3))" "$(($(jq .received <<<"$res") + 3))"
res=$(udp_seq dup --udp 0 "127.0.0.1:$EU" --duplicate 10 --impair up --seed 8)
echo "udp --duplicate 10: $res"
in_range "udp duplicate: distinct datagrams arriving" "$(jq .distinct <<<"$res")" 990 1000
in_range "udp duplicate 10 %: duplicates" "$(jq .duplicates <<<"$res")" 60 140
res=$(udp_seq reorder --udp 0 "127.0.0.1:$EU" --reorder 20 --impair up --seed 9)
echo "udp --reorder 20: $res"
in_range "udp reorder: datagrams arriving" "$(jq .received <<<"$res")" 990 1000
# A held datagram is overtaken only if a later one is sent within its 10 ms hold: a loaded machine
# stretches the sender's 0.5 ms gaps (96 of ~200 seen in CI), and without --reorder there are none.
in_range "udp reorder 20 %: datagrams arriving after a later one" "$(jq .inversions <<<"$res")" 40 260
finish

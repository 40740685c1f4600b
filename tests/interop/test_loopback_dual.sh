#!/usr/bin/env bash
# Without an address, `sockit listen PORT` and `sockit udp recv PORT` bind loopback in both
# families: 127.0.0.1 and ::1 on the same port (port 0 included), one "listening on" line each,
# IPv4 first. Proves clients reach them over ::1 and over 127.0.0.1, and that an explicit address
# (or -4/-6) binds only what was asked.
. "$SOCKIT_TEST_LIB"
need nc socat ss timeout ip jq
need_ipv6

# both_lines ERRFILE PROTO PORT WHAT: exactly the two lines, 127.0.0.1 first, same port.
both_lines() {
  local got; got=$(grep 'listening on' "$1")
  expect_eq "$got" "$(printf 'sockit: listening on 127.0.0.1:%s (%s)\nsockit: listening on [::1]:%s (%s)' "$3" "$2" "$3" "$2")" "$4 listening lines"
}
# bound_on PROTO PORT: the local addresses of this test's server's sockets on PORT ($L, or the
# sockit that its timeout runs), sorted, one line. Only its own: a test running alongside may hold
# the same port number on the other address.
bound_on() {
  local flag pids line p; [ "$1" = udp ] && flag=-ulnpH || flag=-tlnpH
  pids="$L $(cat /proc/"$L"/task/*/children 2>/dev/null)"
  ss $flag "sport = :$2" | while read -r line; do
    for p in $pids; do
      case $line in *"pid=$p,"*) echo "$line" | awk '{print $4}'; break ;; esac
    done
  done | sort | tr '\n' ' '
}
wait_lines() { for _ in $(seq 50); do [ "$(grep -c 'listening on' "$1" 2>/dev/null)" -ge "$2" ] && return; sleep 0.1; done; }

# 1. listen 0: one peer over ::1 (the second listener), then it exits.
bg sh -c "exec timeout 20 '$SOCKIT' listen 0 >'$TMP/got1' </dev/null 2>'$TMP/l1.err'"; L=$BG_PID
listening_port P "$TMP/l1.err" tcp
wait_lines "$TMP/l1.err" 2
both_lines "$TMP/l1.err" tcp "$P" "listen 0"
expect_eq "$(bound_on tcp "$P")" "127.0.0.1:$P [::1]:$P " "listen 0 sockets"
printf 'six' | timeout 10 nc -6 -N ::1 "$P" >/dev/null || fail "nc -6 to [::1]:$P failed"
wait "$L"; RC=$?
expect_rc 0 "listen 0 with a peer over ::1"
expect_eq "$(cat "$TMP/got1")" "six" "listen 0 over ::1"
expect_eq "$(bound_on tcp "$P")" "" "listen 0 sockets after its peer"

# 2. listen -k 0: peers over 127.0.0.1 and ::1, in turn, one process.
bg sh -c "exec timeout 30 '$SOCKIT' listen -k 0 >'$TMP/got2' </dev/null 2>'$TMP/l2.err'"; L=$BG_PID
listening_port P "$TMP/l2.err" tcp
wait_lines "$TMP/l2.err" 2
both_lines "$TMP/l2.err" tcp "$P" "listen -k 0"
printf 'four\n' | timeout 10 nc -4 -N 127.0.0.1 "$P" >/dev/null || fail "nc -4 to 127.0.0.1:$P failed"
printf 'six\n' | timeout 10 nc -6 -N ::1 "$P" >/dev/null || fail "nc -6 to [::1]:$P failed"
printf 'four again\n' | timeout 10 nc -4 -N 127.0.0.1 "$P" >/dev/null || fail "second nc -4 failed"
for _ in $(seq 50); do [ "$(wc -l <"$TMP/got2")" -ge 3 ] && break; sleep 0.1; done
expect_eq "$(cat "$TMP/got2")" "$(printf 'four\nsix\nfour again')" "listen -k 0 over both families"
kill -0 "$L" 2>/dev/null || fail "listen -k exited after its peers"
expect_eq "$(bound_on tcp "$P")" "127.0.0.1:$P [::1]:$P " "listen -k 0 still on both"

# 3. listen -u 0: the first datagram over ::1 picks the peer; stdin goes back to it.
mkfifo "$TMP/fifo3"
bg sh -c "exec timeout 20 '$SOCKIT' listen -u 0 >'$TMP/got3' <'$TMP/fifo3' 2>'$TMP/l3.err'"; L=$BG_PID
exec 7>"$TMP/fifo3"
listening_port P "$TMP/l3.err" udp
wait_lines "$TMP/l3.err" 2
both_lines "$TMP/l3.err" udp "$P" "listen -u 0"
bg sh -c "printf 'hello6' | exec socat -t 5 -T 5 - 'UDP6:[::1]:$P' >'$TMP/socat3'"
wait_nonempty "$TMP/got3"
expect_eq "$(cat "$TMP/got3")" "hello6" "listen -u 0 got the datagram sent to [::1]"
printf 'back' >&7
wait_nonempty "$TMP/socat3"
expect_eq "$(cat "$TMP/socat3")" "back" "listen -u 0 answered over ::1"
exec 7>&-
kill "$L" 2>/dev/null; wait "$L" 2>/dev/null

# 3b. listen -u -k 0: datagrams over both families print; stdin goes to the latest sender (::1).
mkfifo "$TMP/fifo3b"
bg sh -c "exec timeout 20 '$SOCKIT' listen -u -k 0 >'$TMP/got3b' <'$TMP/fifo3b' 2>'$TMP/l3b.err'"; L=$BG_PID
exec 7>"$TMP/fifo3b"
listening_port P "$TMP/l3b.err" udp
wait_lines "$TMP/l3b.err" 2
printf 'four\n' | socat -u - "UDP4-SENDTO:127.0.0.1:$P"
wait_nonempty "$TMP/got3b"
bg sh -c "printf 'six\n' | exec socat -t 5 -T 5 - 'UDP6:[::1]:$P' >'$TMP/socat3b'"
for _ in $(seq 50); do [ "$(wc -l <"$TMP/got3b")" -ge 2 ] && break; sleep 0.1; done
expect_eq "$(cat "$TMP/got3b")" "$(printf 'four\nsix')" "listen -u -k 0 over both families"
printf 'back6' >&7
wait_nonempty "$TMP/socat3b"
expect_eq "$(cat "$TMP/socat3b")" "back6" "listen -u -k 0 answered the latest sender over ::1"
exec 7>&-
kill "$L" 2>/dev/null; wait "$L" 2>/dev/null

# 4. udp recv 0: datagrams on both sockets, labelled with their senders.
bg sh -c "exec timeout 20 '$SOCKIT' udp recv --count 2 0 >'$TMP/got4' 2>'$TMP/r4.err'"; L=$BG_PID
listening_port U "$TMP/r4.err" udp
wait_lines "$TMP/r4.err" 2
both_lines "$TMP/r4.err" udp "$U" "udp recv 0"
expect_eq "$(bound_on udp "$U")" "127.0.0.1:$U [::1]:$U " "udp recv 0 sockets"
printf 'over4' | socat -u - "UDP4-SENDTO:127.0.0.1:$U"
printf 'over6' | socat -u - "UDP6-SENDTO:[::1]:$U"
wait "$L"; RC=$?
expect_rc 0 "udp recv --count 2 0"
expect_contains "$TMP/got4" '^127\.0\.0\.1:[0-9]*: over4$' "udp recv 0 over 127.0.0.1"
expect_contains "$TMP/got4" '^\[::1\]:[0-9]*: over6$' "udp recv 0 over ::1"

# 5. An explicit address, or -4/-6, binds exactly that.
for args in "127.0.0.1 0|127.0.0.1" "-4 0|127.0.0.1" "::1 0|[::1]" "-6 0|[::1]"; do
  want=${args#*|}; args=${args%%|*}
  rm -f "$TMP/l5.err"  # or the last round's line could be read before this one's is written
  bg sh -c "exec timeout 20 '$SOCKIT' listen $args </dev/null >/dev/null 2>'$TMP/l5.err'"; L=$BG_PID
  listening_port P "$TMP/l5.err" tcp
  sleep 0.2  # a second line would follow the first at once
  expect_eq "$(grep -c 'listening on' "$TMP/l5.err")" 1 "listen $args: one listening line"
  expect_eq "$(bound_on tcp "$P")" "$want:$P " "listen $args sockets"
  kill "$L" 2>/dev/null; wait "$L" 2>/dev/null
done
bg sh -c "exec timeout 20 '$SOCKIT' udp recv 127.0.0.1:0 >/dev/null 2>'$TMP/r5.err'"; L=$BG_PID
listening_port U "$TMP/r5.err" udp
sleep 0.2
expect_eq "$(grep -c 'listening on' "$TMP/r5.err")" 1 "udp recv 127.0.0.1:0: one listening line"
expect_eq "$(bound_on udp "$U")" "127.0.0.1:$U " "udp recv 127.0.0.1:0 sockets"
kill "$L" 2>/dev/null; wait "$L" 2>/dev/null

# 6. A fixed port: ::1 taken by someone else is that port in use, named as such.
bg sh -c "exec timeout 20 '$SOCKIT' listen ::1 0 </dev/null >/dev/null 2>'$TMP/l6.err'"; L=$BG_PID
listening_port P "$TMP/l6.err" tcp
run "$TMP/out" "$TMP/err" -- "$SOCKIT" listen "$P"
expect_rc 1 "listen $P with [::1]:$P taken"
expect_contains "$TMP/err" "^sockit: listen \[::1\]:$P: Address already in use" "listen $P with [::1]:$P taken"
kill "$L" 2>/dev/null; wait "$L" 2>/dev/null
# serve/echo/proto serve: each service on 127.0.0.1 and ::1, one port, both answer; totals add both.
bg "$SOCKIT" --json echo --port 0 >"$TMP/e.out" 2>"$TMP/e.err"; E_PID=$BG_PID
listening_port E "$TMP/e.err" tcp echo
wait_lines "$TMP/e.err" 4
for proto in tcp udp; do
  grep -qx "sockit: listening on \[::1\]:$E ($proto) echo" "$TMP/e.err" || fail "echo: no [::1]:$E ($proto) line: $(cat "$TMP/e.err")"
done
expect_eq "$(printf v6 | timeout 5 nc -6 -N ::1 "$E")" v6 "echo over [::1] tcp"
expect_eq "$(printf v4 | timeout 5 nc -4 -N 127.0.0.1 "$E")" v4 "echo over 127.0.0.1 tcp"
expect_eq "$(printf u6 | timeout 5 socat -T 2 - "UDP6:[::1]:$E")" u6 "echo over [::1] udp"
kill -INT "$E_PID"; wait "$E_PID"
expect_eq "$(jq -c 'select(.event == "totals") | .services[] | select(.proto == "tcp") | .connections' "$TMP/e.out")" 2 \
  "echo totals: one tcp row adding both families"
bg "$SOCKIT" proto serve --port 0 >"$TMP/p.out" 2>"$TMP/p.err"; P_PID=$BG_PID
listening_port PP "$TMP/p.err" tcp proto
wait_lines "$TMP/p.err" 2
grep -qx "sockit: listening on \[::1\]:$PP (tcp) proto" "$TMP/p.err" || fail "proto serve: no [::1] line: $(cat "$TMP/p.err")"
timeout 10 "$SOCKIT" proto call "[::1]:$PP" ping >"$TMP/p.call" 2>&1 || fail "proto call over [::1]: $(cat "$TMP/p.call")"
kill -INT "$P_PID"; wait "$P_PID"
bg "$SOCKIT" serve --bind 127.0.0.1 --services echo --echo-port 0 --tcp >/dev/null 2>"$TMP/s.err"; S_PID=$BG_PID
listening_port S "$TMP/s.err" tcp echo
sleep 0.3
expect_eq "$(grep -c 'listening on' "$TMP/s.err")" 1 "serve --bind 127.0.0.1: one socket"
kill -INT "$S_PID"; wait "$S_PID"
finish

#!/usr/bin/env bash
# sockit echo (RFC 862) with many clients at once: 50 netcat/socat clients in parallel, each
# sending its own 256 KiB of random bytes, all echoed byte-exact; UDP echo from socat answers from
# the port it was sent to.
. "$SOCKIT_TEST_LIB"
need nc socat cmp

# Every engine (50 clients stay far below select's FD_SETSIZE).
for eng in $(engines); do
  rm -f "$TMP/err"  # not the last server's listening line
  bg "$SOCKIT" echo --port 0 --engine "$eng" >"$TMP/out" 2>"$TMP/err"
  SERVER=$BG_PID
  listening_port P "$TMP/err" tcp echo; listening_port U "$TMP/err" udp echo
  # The table goes to stdout after the stderr listening lines: wait for it too.
  wait_match "$TMP/out" "^echo +udp +127\.0\.0\.1:$U$" || true
  grep -Eq "^echo +tcp +127\.0\.0\.1:$P$" "$TMP/out" || fail "$eng: no tcp line in the table: $(cat "$TMP/out")"
  grep -Eq "^echo +udp +127\.0\.0\.1:$U$" "$TMP/out" || fail "$eng: no udp line in the table: $(cat "$TMP/out")"

  N=50
  pids=()
  for i in $(seq $N); do
    head -c 262144 /dev/urandom >"$TMP/in.$i"
    if [ $((i % 2)) -eq 0 ]; then
      timeout 30 nc -N 127.0.0.1 "$P" <"$TMP/in.$i" >"$TMP/back.$i" &
    else
      timeout 30 socat -t 10 - "TCP:127.0.0.1:$P" <"$TMP/in.$i" >"$TMP/back.$i" &
    fi
    pids+=($!)
  done
  bad=0
  for i in $(seq $N); do
    wait "${pids[$((i - 1))]}" || { fail "$eng: client $i exited $?"; }
    cmp -s "$TMP/in.$i" "$TMP/back.$i" || { bad=$((bad + 1)); fail "$eng: client $i: $(stat -c %s "$TMP/back.$i") of 262144 bytes, not byte-exact"; }
  done
  echo "$eng: $N concurrent clients, $bad mismatched"

  # UDP: the reply comes from the echo port itself (socat's UDP: address is connected to it, so it
  # would not see a reply from anywhere else).
  for i in 1 2 3; do
    printf "datagram $i" | timeout 5 socat -t 1 - "UDP:127.0.0.1:$U" >"$TMP/udp.$i"
    expect_eq "$(cat "$TMP/udp.$i")" "datagram $i" "$eng: UDP echo $i"
  done
  kill -INT "$SERVER"
  for _ in $(seq 30); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
  wait "$SERVER"; RC=$?
  expect_rc 0 "$eng: echo after SIGINT"
  expect_eq "$(awk 'NF == 8 && $1 == "echo" && $2 == "tcp" {print $3, $5, $6}' "$TMP/out")" \
    "$N $((N * 262144)) $((N * 262144))" "$eng: echo tcp totals"
done

finish

#!/usr/bin/env bash
# A client that sends but never reads cannot make sockit echo (or serve's echo) grow: once its
# output backs up the server stops reading from it, so RSS stays bounded while the client offers
# 64 MiB, and other clients are still served meanwhile.
# Also chargen: a client that never reads gets only what the kernel buffers hold, not an
# ever-growing queue.
# labels: long
. "$SOCKIT_TEST_LIB"
need socat nc

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Every engine pauses reading the same way (the connection's watch mask); serve on the default.
for run in echo:epoll echo:poll echo:select serve:auto; do
  cmd=${run%%:*} eng=${run#*:}
  if [ "$cmd" = echo ]; then
    bg "$SOCKIT" echo --tcp --port 0 --engine "$eng" >"$TMP/out.$cmd" 2>"$TMP/err.$cmd"
  else
    bg "$SOCKIT" serve --tcp --services echo --echo-port 0 --engine "$eng" >"$TMP/out.$cmd" 2>"$TMP/err.$cmd"
  fi
  cmd="$cmd ($eng)"
  SERVER=$BG_PID
  listening_port P "$TMP/err.${cmd%% *}" tcp echo
  before=$(rss_kib "$SERVER")
  # socat -u only copies stdin to the socket: it never reads what comes back.
  head -c 67108864 /dev/zero | timeout 20 socat -u - "TCP:127.0.0.1:$P" 2>/dev/null &
  HOG=$!; _PIDS+=("$HOG")
  sleep 3
  after=$(rss_kib "$SERVER")
  kill -0 "$HOG" 2>/dev/null || fail "$cmd: the non-reading client finished: the server read all 64 MiB (no backpressure)"
  growth=$((after - before))
  echo "$cmd: RSS ${before} KiB -> ${after} KiB while a client pushes 64 MiB and reads nothing"
  [ "$growth" -lt 16384 ] || fail "$cmd: RSS grew by $growth KiB (bound: 16 MiB)"
  # Others are still served, promptly.
  got=$(printf 'still here' | timeout 5 nc -N 127.0.0.1 "$P")
  expect_eq "$got" "still here" "$cmd: another client while one is backed up"
  after2=$(rss_kib "$SERVER")
  [ $((after2 - before)) -lt 16384 ] || fail "$cmd: RSS grew by $((after2 - before)) KiB"
  kill "$HOG" 2>/dev/null; wait "$HOG" 2>/dev/null
  kill -TERM "$SERVER"
  for _ in $(seq 30); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
  wait "$SERVER"; RC=$?
  expect_rc 0 "$cmd after SIGTERM"
done
# chargen to a client that never reads: the generator waits for the output to drain.
bg "$SOCKIT" serve --tcp --services chargen --chargen-port 0 >"$TMP/out.chargen" 2>"$TMP/err.chargen"
SERVER=$BG_PID
listening_port C "$TMP/err.chargen" tcp chargen
before=$(rss_kib "$SERVER")
mkfifo "$TMP/never"; exec 3<>"$TMP/never"
bg socat -u "OPEN:$TMP/never" "TCP:127.0.0.1:$C"   # reads the fifo, never the socket
sleep 2
after=$(rss_kib "$SERVER")
echo "chargen: RSS ${before} KiB -> ${after} KiB with a client that never reads"
[ $((after - before)) -lt 8192 ] || fail "chargen: RSS grew by $((after - before)) KiB"
top=$(ps -o %cpu= -p "$SERVER" | tr -d ' ')
[ "${top%.*}" -lt 50 ] || fail "chargen: ${top}% CPU while blocked (busy loop?)"
kill -INT "$SERVER"
for _ in $(seq 30); do kill -0 "$SERVER" 2>/dev/null || break; sleep 0.1; done
wait "$SERVER"; RC=$?
expect_rc 0 "chargen serve after SIGINT"
out=$(awk 'NF == 8 && $1 == "chargen" && $2 == "tcp" {print $6}' "$TMP/out.chargen")
echo "chargen: $out bytes went out to the non-reader"
[ -n "$out" ] && [ "$out" -lt 67108864 ] || fail "chargen: $out bytes out to a client that never read"
finish

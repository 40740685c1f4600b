#!/usr/bin/env bash
# A client that writes 1 GiB and reads nothing (issue 3): the echo server stops reading from it
# once ~1 MiB of echo is queued (the connection's high-water mark), so the writer blocks on full
# kernel buffers long before 1 GiB. Checked on every engine:
#  - the writer is blocked (its written byte count stops moving) far short of 1 GiB;
#  - the server's RSS grows by less than 8 MiB (the documented bound: about 2 MiB of buffers per
#    such connection, plus allocator slack);
#  - the server read no more than its bound: high water (1 MiB) + one 64 KiB read + what the
#    kernel buffers took (socket send and receive buffers, a few MiB each): under 32 MiB.
# labels: long
. "$SOCKIT_TEST_LIB"
need socat

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
wchar() { awk '/^wchar:/ {print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }

for eng in $(engines); do
  rm -f "$TMP/err"  # not the last server's listening line
  bg "$SOCKIT" echo --tcp --port 0 --engine "$eng" --drain-timeout 1 >"$TMP/out" 2>"$TMP/err"
  SERVER=$BG_PID
  listening_port P "$TMP/err" tcp echo
  before=$(rss_kib "$SERVER")
  # socat itself writes to the socket (its wchar is the bytes sent); head feeds it 1 GiB.
  bg socat -u "SYSTEM:head -c 1073741824 /dev/zero" "TCP:127.0.0.1:$P"
  WRITER=$BG_PID
  # Wait until the writer is blocked: its written byte count unchanged for 1 s (bounded: 20 s).
  last=-1; stable=0
  for _ in $(seq 40); do
    w=$(wchar "$WRITER")
    if [ "$w" = "$last" ]; then stable=$((stable + 1)); [ "$stable" -ge 2 ] && break; else stable=0; fi
    last=$w; sleep 0.5
  done
  after=$(rss_kib "$SERVER")
  growth=$((after - before))
  [ "$stable" -ge 2 ] || fail "$eng: the writer never blocked (wrote ${w} bytes so far)"
  # Writer first (its connection closes and is counted), then the server: a graceful stop reads
  # and discards input while it drains, which is not what is measured here.
  kill "$WRITER" 2>/dev/null; wait "$WRITER" 2>/dev/null
  sleep 0.3
  kill -TERM "$SERVER"; wait "$SERVER"; RC=$?
  expect_rc 0 "$eng: echo after SIGTERM"
  bytes_in=$(awk 'NF == 8 && $1 == "echo" && $2 == "tcp" {print $5}' "$TMP/out")
  echo "$eng: writer blocked after $((w / 1048576)) MiB of 1 GiB; server read $((bytes_in / 1048576)) MiB; RSS ${before} -> ${after} KiB (+${growth} KiB)"
  [ "$growth" -lt 8192 ] || fail "$eng: server RSS grew by $growth KiB (bound 8 MiB)"
  [ "${bytes_in:-0}" -gt 0 ] && [ "$bytes_in" -lt 33554432 ] || fail "$eng: server read ${bytes_in} bytes (bound 32 MiB)"
  [ "$w" -lt 67108864 ] || fail "$eng: the writer got $w bytes out before blocking"
done
finish

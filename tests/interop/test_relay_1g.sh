#!/usr/bin/env bash
# 1 GiB through the relay both ways at once, byte-exact: nc sends 1 GiB of random bytes to sockit
# echo through the relay and reads the echo back; the hashes of what went and what came back
# agree, and the relay counted 1 GiB each way (the splice path; --copy moves 2 x 4 MB in
# test_relay_tcp.sh).
# labels: long
. "$SOCKIT_TEST_LIB"
need nc sha256sum

GIB=1073741824
bg "$SOCKIT" echo --tcp --port 0 >/dev/null 2>"$TMP/echo.err"
listening_port E "$TMP/echo.err" tcp echo
# The same 64 MiB of random bytes 16 times: random enough, without 1 GiB of urandom per run.
head -c 67108864 /dev/urandom >"$TMP/block"
for path in splice; do
  opts=(); [ "$path" = copy ] && opts=(--copy)
  bg "$SOCKIT" relay 0 "127.0.0.1:$E" "${opts[@]}" >"$TMP/out.$path" 2>"$TMP/err.$path"
  RELAY=$BG_PID
  listening_port R "$TMP/err.$path" tcp
  start=$(date +%s.%N)
  sent=$(for _ in $(seq 16); do cat "$TMP/block"; done | tee >(sha256sum | cut -d' ' -f1 >"$TMP/sent.sha") \
    | timeout 240 nc -N 127.0.0.1 "$R" | sha256sum | cut -d' ' -f1)
  end=$(date +%s.%N)
  for _ in $(seq 50); do [ -s "$TMP/sent.sha" ] && break; sleep 0.1; done
  expect_eq "$sent" "$(cat "$TMP/sent.sha")" "$path: the hash of 1 GiB echoed through the relay"
  stop_server "$RELAY"
  expect_rc 0 "$path: relay after SIGTERM"
  expect_match "$TMP/out.$path" "^totals: 1 connections \(0 open\), 0 refused, 0 target failures, 0 resets, $GIB bytes up, $GIB bytes down\$" "$path: totals"
  echo "$path: 1 GiB each way in $(echo "$end - $start" | bc) s"
done
finish

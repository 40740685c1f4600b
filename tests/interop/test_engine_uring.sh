#!/usr/bin/env bash
# The io_uring engine: auto picks it where the ring opens, and where io_uring_setup fails (a seccomp
# filter from tests/tools/no_uring standing for a kernel without io_uring, ENOSYS, and for a policy
# that forbids it, EPERM) --engine uring says so in one line and auto falls back to epoll.
. "$SOCKIT_TEST_LIB"
need nc timeout

# serving_line ERRFILE: waits for the "serving on the ENGINE engine" line that follows the listening ones.
serving_line() { for _ in $(seq 50); do grep -q "serving on the" "$1" && return; sleep 0.1; done; }
[ -x "${SOCKIT_NO_URING:-}" ] || die "SOCKIT_NO_URING ($SOCKIT_NO_URING) is not built"

# Where the ring opens: auto is uring, and a bench through it verifies every echoed byte.
if ! "$SOCKIT" --engines | grep -q '^uring '; then
  [ "${CI:-}" = true ] && die "io_uring unavailable in CI: 'sockit --engines' lists no uring"
  skip "io_uring unavailable on this kernel ('sockit --engines' lists no uring)"
fi
bg "$SOCKIT" -v echo --port 0 >"$TMP/out" 2>"$TMP/err"
listening_port port "$TMP/err" tcp echo
serving_line "$TMP/err"
expect_contains "$TMP/err" "serving on the uring engine (TCP echo: completions, io_uring multishot accept" "auto picks uring, echo on completions"
expect_eq "$(printf ring | timeout 5 nc -N 127.0.0.1 "$port")" ring "echo on uring"
run "$TMP/bout" "$TMP/berr" -- timeout 20 "$SOCKIT" bench --engine uring -c 4 -d 4 -t 0.5 --warmup 0 "127.0.0.1:$port"
expect_rc 0 "bench --engine uring against the uring echo"
stop_server "$BG_PID"

# proto serve too: a protocol session per connection on the completion server.
rm -f "$TMP/err"
bg "$SOCKIT" -v proto serve --port 0 >"$TMP/out" 2>"$TMP/err"
listening_port port "$TMP/err" tcp proto
serving_line "$TMP/err"
expect_contains "$TMP/err" "serving on the uring engine (TCP proto: completions, io_uring accept into the file table" \
  "auto picks uring, proto serve on completions"
expect_eq "$(timeout 10 "$SOCKIT" proto call "127.0.0.1:$port" ping)" "OK PONG" "proto on completions: PING"
expect_eq "$(printf 'echo one\nping\nquit\n' | timeout 10 "$SOCKIT" proto call "127.0.0.1:$port")" \
  "$(printf 'OK Echo: one\nOK PONG\nOK Goodbye')" "proto on completions: pipelined, then QUIT"
stop_server "$BG_PID"
expect_match "$TMP/out" '^proto: 2 connection\(s\), 4 request\(s\), 0 bad input\(s\)$' "proto on completions: totals"
# A flag the completion server lacks: the loop on the uring readiness engine, and -v names the flag.
rm -f "$TMP/err"
bg "$SOCKIT" -v proto serve --engine uring --idle-timeout 5 --port 0 >"$TMP/out" 2>"$TMP/err"
listening_port port "$TMP/err" tcp proto
serving_line "$TMP/err"
expect_contains "$TMP/err" "TCP proto on the uring readiness engine, not completions: --idle-timeout asks for it" \
  "proto serve --idle-timeout: readiness"
expect_eq "$(timeout 10 "$SOCKIT" proto call "127.0.0.1:$port" ping)" "OK PONG" "proto on uring readiness: PING"
stop_server "$BG_PID"

# relay --engine uring: TCP on the completion relay (auto keeps splice), bytes through to socat and
# back, its rows in the --json statistics; --copy keeps the readiness relay and -v says so.
need socat jq
# -b 4096: socat's PIPE echo writes its pipe blocking, up to -b bytes once poll says "room" (one free
# page); 8 KiB (the default) can then block for ever on its own full pipe, with 150 KB of the echo
# never sent back (3 times in 30 runs of 3 MB through the relay on a loaded machine; socat stuck in
# anon_pipe_write, the relay waiting for it).
bg_on_free_port SP tcp socat -b 4096 "TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork" PIPE
rm -f "$TMP/err"
bg "$SOCKIT" -v --json relay --engine uring 0 "127.0.0.1:$SP" >"$TMP/out" 2>"$TMP/err"
RELAY=$BG_PID
listening_port port "$TMP/err" tcp
expect_eq "$(printf 'through the ring' | timeout 5 nc -N 127.0.0.1 "$port")" "through the ring" "relay on completions: nc -> relay -> socat"
head -c 3000000 /dev/urandom >"$TMP/blob"
timeout 40 socat -t 20 - "TCP:127.0.0.1:$port" <"$TMP/blob" >"$TMP/back" 2>/dev/null  # -t: generous, a sanitized relay on a loaded machine
cmp -s "$TMP/blob" "$TMP/back" || fail "relay on completions: 3 MB through socat came back as $(stat -c %s "$TMP/back") bytes"
stop_server "$RELAY"
expect_contains "$TMP/err" "on the uring engine (completions: io_uring accept and connect" "relay --engine uring: on completions"
jq -e -s '[.[] | select(.event == "stats")] | .[0] | .final == true and .totals.connections == 2 and .totals.bytes_up == 3000016
          and .totals.bytes_down == 3000016 and ([.connections[] | .path] | unique) == ["uring"]
          and ([.connections[] | .state] | unique) == ["closed"]' "$TMP/out" >/dev/null \
  || fail "relay on completions: --json final stats: $(tail -1 "$TMP/out")"
# --threads 2: a ring per loop, each with its own SO_REUSEPORT listener; one id sequence, summed totals.
rm -f "$TMP/err"
bg "$SOCKIT" -v --json relay --engine uring --threads 2 0 "127.0.0.1:$SP" >"$TMP/out" 2>"$TMP/err"
RELAY=$BG_PID
listening_port port "$TMP/err" tcp
expect_eq "$(ss -tlnH "sport = :$port" | grep -c "127\.0\.0\.1:$port")" "2" "relay --threads 2 on completions: two listeners"
ncs=()
for i in $(seq 20); do printf "c$i" | timeout 5 nc -N 127.0.0.1 "$port" >>"$TMP/threads.got" & ncs+=($!); done
for p in "${ncs[@]}"; do wait "$p"; done
stop_server "$RELAY"
expect_eq "$(wc -c <"$TMP/threads.got")" "$(for i in $(seq 20); do printf "c$i"; done | wc -c)" "relay --threads 2 on completions: 20 clients echoed"
expect_contains "$TMP/err" "sends completed by the ring), 2 rings" "relay --threads 2: two rings"
jq -e -s '[.[] | select(.event == "stats")] | .[0] | .totals.connections == 20 and ([.connections[] | .id] | sort) == [range(1; 21)]' \
  "$TMP/out" >/dev/null || fail "relay --threads 2 on completions: totals or ids: $(tail -1 "$TMP/out")"
rm -f "$TMP/err"
bg "$SOCKIT" -v relay --engine uring --copy 0 "127.0.0.1:$SP" >"$TMP/out" 2>"$TMP/err"
listening_port port "$TMP/err" tcp
expect_eq "$(printf 'copied' | timeout 5 nc -N 127.0.0.1 "$port")" "copied" "relay --copy on uring readiness"
stop_server "$BG_PID"
expect_contains "$TMP/err" "relaying on uring readiness, not completions: --copy" "relay --engine uring --copy: readiness, with the reason"

for errno in ENOSYS EPERM; do
  case $errno in
    ENOSYS) why="Function not implemented \\(a kernel without io_uring, or a seccomp filter denies it; --engine auto falls back to epoll\\)" ;;
    EPERM) why="Operation not permitted \\(kernel.io_uring_disabled, or a seccomp or security policy forbids it; --engine auto falls back to epoll\\)" ;;
  esac
  no_uring=("$SOCKIT_NO_URING" "$errno")

  expect_eq "$("${no_uring[@]}" "$SOCKIT" --engines | awk '{ print $1 }' | tr '\n' ' ')" "epoll poll select " \
    "$errno: --engines leaves uring out"

  # --engine uring, on a server and on the load generator: one line naming the engine and the cause.
  for cmd in "echo --port 0" "bench -t 0.2 127.0.0.1:9"; do
    # shellcheck disable=SC2086
    run "$TMP/out" "$TMP/err" -- timeout 5 "${no_uring[@]}" "$SOCKIT" $cmd --engine uring
    expect_rc 2 "$errno: ${cmd%% *} --engine uring"
    expect_lines "$TMP/err" 1 "$errno: ${cmd%% *} --engine uring"
    expect_match "$TMP/err" "^sockit: --engine: engine uring is not available here: io_uring_setup: $why$" \
      "$errno: ${cmd%% *} --engine uring"
  done

  # auto falls back to epoll and serves; the load generator on auto measures it.
  rm -f "$TMP/err"
  bg "${no_uring[@]}" "$SOCKIT" -v echo --port 0 >"$TMP/out" 2>"$TMP/err"
  listening_port port "$TMP/err" tcp echo
  serving_line "$TMP/err"
  expect_contains "$TMP/err" "serving on the epoll engine" "$errno: auto falls back to epoll"
  expect_eq "$(printf "fallback $errno" | timeout 5 nc -N 127.0.0.1 "$port")" "fallback $errno" "$errno: echo on the fallback"
  run "$TMP/bout" "$TMP/berr" -- timeout 20 "${no_uring[@]}" "$SOCKIT" --json bench -c 2 -t 0.3 --warmup 0 "127.0.0.1:$port"
  expect_rc 0 "$errno: bench on auto (epoll)"
  stop_server "$BG_PID"
  rm -f "$TMP/err"
  bg "${no_uring[@]}" "$SOCKIT" -v proto serve --port 0 >"$TMP/out" 2>"$TMP/err"
  listening_port port "$TMP/err" tcp proto
  serving_line "$TMP/err"
  expect_contains "$TMP/err" "serving on the epoll engine, 1 loop" "$errno: proto serve on auto falls back to epoll"
  expect_eq "$(timeout 10 "$SOCKIT" proto call "127.0.0.1:$port" ping)" "OK PONG" "$errno: proto on the fallback"
  stop_server "$BG_PID"
done
finish

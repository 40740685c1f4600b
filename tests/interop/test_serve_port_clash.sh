#!/usr/bin/env bash
# Two services given one non-zero port is a usage error naming both options (exit 2, one line,
# nothing bound), not an "Address already in use" blamed on another program; port 0 for several
# services is fine (each gets its own free port).
. "$SOCKIT_TEST_LIB"

P=$(free_port)
run "$TMP/out" "$TMP/err" -- "$SOCKIT" serve --echo-port 0 --discard-port "$P" --daytime-port 0 --chargen-port "$P"
expect_rc 2 "serve with --discard-port and --chargen-port equal"
expect_lines "$TMP/err" 1 "port clash: stderr"
grep -q -- "--discard-port" "$TMP/err" && grep -q -- "--chargen-port" "$TMP/err" ||
  fail "port clash: both options not named: $(cat "$TMP/err")"
grep -q "another program" "$TMP/err" && fail "port clash blamed on another program: $(cat "$TMP/err")"
[ -s "$TMP/out" ] && fail "port clash printed a table: $(cat "$TMP/out")"

# One protocol each: --tcp services never share a socket with --udp ones, but serve's protocol
# flags apply to every service, so a clash is a clash either way.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" serve --tcp --services echo,discard --echo-port "$P" --discard-port "$P"
expect_rc 2 "serve --tcp with one port twice"

# Port 0 twice (four times): every service listens, on ports of its own.
bg "$SOCKIT" serve --tcp --bind 127.0.0.1 --echo-port 0 --discard-port 0 --daytime-port 0 --chargen-port 0 >"$TMP/out0" 2>"$TMP/err0"
S=$BG_PID
for _ in $(seq 100); do [ "$(grep -c 'listening on' "$TMP/err0")" -ge 4 ] && break; sleep 0.1; done
n=$(grep -c "listening on" "$TMP/err0")
[ "$n" -eq 4 ] || fail "port 0 four times: expected 4 listening lines, got $n: $(cat "$TMP/err0")"
ports=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) (tcp).*/\1/p' "$TMP/err0" | sort -u | wc -l)
[ "$ports" -eq 4 ] || fail "port 0 four times: expected 4 distinct ports: $(cat "$TMP/err0")"
kill -INT "$S"; wait "$S"; RC=$?
expect_rc 0 "port 0 four times, then SIGINT"
finish

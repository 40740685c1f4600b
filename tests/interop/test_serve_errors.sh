#!/usr/bin/env bash
# Bad input to sockit serve / echo gives exactly one clear stderr line and the documented exit
# code, never a crash: port in use (exit 1), malformed --bind (also inet_aton shorthand such as
# 127.1), out-of-range ports and bad numbers (exit 2).
. "$SOCKIT_TEST_LIB"

one_line_error() {  # WHAT PATTERN: stderr is one line matching PATTERN
  expect_lines "$TMP/err" 1 "$1: stderr"
  grep -Eq -- "$2" "$TMP/err" || fail "$1: stderr '$(cat "$TMP/err")' does not match /$2/"
  grep -q "Assertion\|terminate\|Sanitizer" "$TMP/err" && fail "$1: crashed: $(cat "$TMP/err")"
}

# Port in use: a second serve on the same ports.
rm -f "$TMP/first.err"  # not the last server's listening line
bg "$SOCKIT" serve --echo-port 0 --discard-port 0 --daytime-port 0 --chargen-port 0 >"$TMP/first" 2>"$TMP/first.err"
listening_port E "$TMP/first.err" tcp echo; listening_port EU "$TMP/first.err" udp echo
listening_port D "$TMP/first.err" tcp discard; listening_port T "$TMP/first.err" tcp daytime
listening_port C "$TMP/first.err" tcp chargen; listening_port CU "$TMP/first.err" udp chargen
run "$TMP/out" "$TMP/err" -- "$SOCKIT" serve --echo-port "$E" --discard-port "$D" --daytime-port "$T" --chargen-port "$C"
expect_rc 1 "serve on ports in use"
one_line_error "serve on ports in use" "^sockit: bind echo tcp 127\.0\.0\.1:$E: Address already in use \(EADDRINUSE\); .*--echo-port"
[ -s "$TMP/out" ] && fail "serve on ports in use printed a table: $(cat "$TMP/out")"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" echo --udp --port "$EU"
expect_rc 1 "echo --udp on a port in use"
one_line_error "echo on a port in use" "^sockit: bind echo udp 127\.0\.0\.1:$EU: Address already in use \(EADDRINUSE\)"

# Malformed --bind, bad ports: usage errors.
for b in 999.1.1.1 1.2.3.4.5 "::1::2" "[::1" "bad host!" ""; do
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" serve --bind "$b" --echo-port 0 --discard-port 0 --daytime-port 0 --chargen-port 0
  expect_rc 2 "serve --bind '$b'"
  one_line_error "serve --bind '$b'" "^sockit: (bad --bind address|--bind: empty value)"
done
run "$TMP/out" "$TMP/err" -- "$SOCKIT" serve --echo-port 70000
expect_rc 2 "serve --echo-port 70000"
one_line_error "serve --echo-port 70000" "^sockit: bad --echo-port '70000': port must be a number from 0 to 65535"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" echo --port -1
expect_rc 2 "echo --port -1"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" serve --services echo,gopher
expect_rc 2 "serve --services echo,gopher"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" serve --udp-burst 0
expect_rc 2 "serve --udp-burst 0"

# --standard-ports without root or CAP_NET_BIND_SERVICE: test_privileged_ports.sh.
finish

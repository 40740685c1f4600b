#!/usr/bin/env bash
# Bad input through the CLI (connect, listen, probe, udp, server flags, and unknown commands): each case gives exactly one stderr line
# naming what and why, the documented exit code (2 usage, 1 runtime), and never a crash (< 128).
# No case here resolves a name (test_cli_unknown_host.sh does, inside a namespace).
. "$SOCKIT_TEST_LIB"
need timeout

# check NAME CODE PATTERN CMD...: run CMD, expect exit CODE and one stderr line matching PATTERN.
check() {
  local name=$1 code=$2 pattern=$3; shift 3
  run "$TMP/out" "$TMP/err" -- "$@" </dev/null
  [ "$RC" -lt 128 ] || fail "$name: crashed or hung (exit $RC)"
  expect_rc "$code" "$name"
  expect_lines "$TMP/err" 1 "$name"
  grep -Eq -- "$pattern" "$TMP/err" || fail "$name: stderr '$(cat "$TMP/err")' does not match /$pattern/"
}

# Usage errors: exit 2.
check "connect port 70000" 2 "^sockit: bad port '70000': port must be a number from 0 to 65535$" "$SOCKIT" connect 127.0.0.1 70000
check "listen port 70000" 2 "^sockit: bad port '70000'" "$SOCKIT" listen 70000
check "listen addr port 70000" 2 "^sockit: bad port '70000'" "$SOCKIT" listen 127.0.0.1 70000
check "probe port 70000" 2 "^sockit: bad ports '70000'" "$SOCKIT" probe 127.0.0.1 70000
check "probe bad list" 2 "^sockit: bad ports '80,,90'" "$SOCKIT" probe 127.0.0.1 80,,90
check "probe reversed range" 2 "^sockit: bad ports '90-80'" "$SOCKIT" probe 127.0.0.1 90-80
check "probe range to 70000" 2 "^sockit: bad ports '1-70000'" "$SOCKIT" probe 127.0.0.1 1-70000
check "connect port 0" 2 "^sockit: bad port '0'" "$SOCKIT" connect 127.0.0.1 0
check "listen empty port" 2 "^sockit: bad port '': empty" "$SOCKIT" listen 127.0.0.1 ''
check "listen empty address" 2 "^sockit: bad address '': empty" "$SOCKIT" listen '' 0
check "connect -w ''" 2 "^sockit: --wait: empty value" "$SOCKIT" connect -w '' 127.0.0.1 1
check "recv -o ''" 2 "^sockit: --output: empty value" "$SOCKIT" recv 0 -o ''
check "--hex-dump ''" 2 "^sockit: --hex-dump: empty value" "$SOCKIT" --hex-dump '' connect 127.0.0.1 1
# An option whose value may be left out is not "empty" when it is: --keepalive last, bare.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -w 0.2 127.0.0.1 1 --keepalive </dev/null
expect_rc 1 "connect ... --keepalive (bare, last): a refused connection, not a usage error"
check "an option twice" 2 "^sockit: --port: given more than once$" "$SOCKIT" echo -p 0 -p 1
check "serve -s ''" 2 "^sockit: --services: bad value '': not one of echo discard daytime chargen$" "$SOCKIT" serve -s ''
check "bench port 0" 2 "^sockit: bad port '0': cannot connect to port 0$" "$SOCKIT" bench 127.0.0.1:0
check "proto call port 0" 2 "^sockit: bad port '0': cannot connect to port 0$" "$SOCKIT" proto call :0 ping
check "send port 0" 2 "^sockit: bad port '0': cannot connect to port 0$" "$SOCKIT" send "$SOCKIT_TEST_LIB" :0
check "send to unix:" 2 "^sockit: bad destination 'unix:/tmp/x': send takes no unix: address" "$SOCKIT" send "$SOCKIT_TEST_LIB" unix:/tmp/x
check "send a /proc file" 1 "^sockit: cannot send '/proc/self/status': its size says 0 but it has content" "$SOCKIT" send /proc/self/status 127.0.0.1:9
check "connect port text" 2 "^sockit: bad port 'nosuch': not a port number \\(1-65535\\) nor a service name in /etc/services$" "$SOCKIT" connect 127.0.0.1 nosuch
check "connect malformed host" 2 "^sockit: bad host 'not a host'" "$SOCKIT" connect 'not a host' 80
check "connect malformed v6" 2 "^sockit: bad host '1:2:zz'" "$SOCKIT" connect 1:2:zz 80
check "listen malformed addr" 2 "^sockit: bad host '127.0.0.1:80'" "$SOCKIT" listen 127.0.0.1:80 80
check "probe malformed host" 2 "^sockit: bad host 'a/b'" "$SOCKIT" probe a/b 80
check "connect bad wait" 2 "^sockit: bad wait 'soon'" "$SOCKIT" connect -w soon 127.0.0.1 80
check "connect negative wait" 2 "^sockit: bad wait '-1'" "$SOCKIT" connect --wait=-1 127.0.0.1 80
check "probe zero wait" 2 "^sockit: bad wait '0'" "$SOCKIT" probe -w 0 127.0.0.1 80
check "probe concurrency 0" 2 "^sockit: " "$SOCKIT" probe -c 0 127.0.0.1 80
check "connect unknown flag" 2 "^sockit: .*--bogus" "$SOCKIT" connect --bogus 127.0.0.1 80
check "connect missing port" 2 "^sockit: .*port" "$SOCKIT" connect 127.0.0.1
check "connect -4 -6" 2 "^sockit: .*(excludes|ipv)" "$SOCKIT" connect -4 -6 127.0.0.1 80
check "listen too many args" 2 "^sockit: " "$SOCKIT" listen 127.0.0.1 80 90
check "unknown command" 2 "^sockit: unknown command 'conect' \(run 'sockit --help' for the list\)$" "$SOCKIT" conect 127.0.0.1 80
check "unknown command after a global flag" 2 "^sockit: unknown command 'bogus'" "$SOCKIT" -v bogus
check "no command" 2 "^sockit: " "$SOCKIT"

# Text that only looks like an IPv4 address (inet_aton shorthand, too many parts, leading zeros,
# out of range) is a malformed host, never resolved: no DNS query, no silent 127.0.0.1.
for h in 127.1 0x7f.1 1.2.3 1.2.3.4.5 01.2.3.4 999.1.1.1 2130706433; do
  check "connect host $h" 2 "^sockit: bad host '$h'" "$SOCKIT" connect "$h" 1
  check "probe host $h" 2 "^sockit: bad host '$h'" "$SOCKIT" probe "$h" 1
  check "listen addr $h" 2 "^sockit: bad host '$h'" "$SOCKIT" listen "$h" 0
  check "udp send host $h" 2 "^sockit: bad host '$h'" "$SOCKIT" udp send "$h:1" hi
  check "proto call host $h" 2 "^sockit: bad host '$h'" "$SOCKIT" proto call "$h:1" ping
  check "udp recv addr $h" 2 "^sockit: bad address '$h'" "$SOCKIT" udp recv "$h:0"
  check "echo --bind $h" 2 "^sockit: bad --bind address '$h'" "$SOCKIT" echo --bind "$h"
done

# Seconds: finite, not negative, at most a year; a clear message, never CLI11's DBL_MAX range.
secs="must be a number of seconds"
for w in nan inf -1 1e10 1e300 x; do
  check "udp recv -w $w" 2 "^sockit: --wait: bad value '$w': $secs from 0 to 31536000" "$SOCKIT" udp recv -w "$w" 0
  check "udp send -w $w" 2 "^sockit: --wait: bad value '$w': $secs from 0 to 31536000" "$SOCKIT" udp send -w "$w" 127.0.0.1:9 x
  check "connect -w $w" 2 "^sockit: bad wait '$w': $secs greater than 0, at most 31536000" "$SOCKIT" connect -w "$w" 127.0.0.1 9
  check "probe -w $w" 2 "^sockit: bad wait '$w': $secs greater than 0" "$SOCKIT" probe -w "$w" 127.0.0.1 9
  check "serve --idle-timeout $w" 2 "^sockit: --idle-timeout: bad value '$w': $secs" "$SOCKIT" serve --idle-timeout "$w"
  check "echo --drain-timeout $w" 2 "^sockit: --drain-timeout: bad value '$w': $secs from 0 to 3600" "$SOCKIT" echo --drain-timeout "$w"
  check "serve --udp-rate $w" 2 "^sockit: --udp-rate: bad value '$w': must be a number of replies per second from 0 to 1000000000$" "$SOCKIT" serve --udp-rate "$w"
done
check "serve --udp-burst 0" 2 "^sockit: --udp-burst: bad value '0': must be a number of replies from 1 to" "$SOCKIT" serve --udp-burst 0
grep -rq '1797693' "$TMP/err" && fail "a DBL_MAX range leaked into a message"
# A good value still works: 0 is "return at once" for udp recv -w.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp recv -c 1 -w 0 0
expect_rc 1 "udp recv -c 1 -w 0 (silence at once)"

# Whole numbers: every integer option names its real range in words, once, whatever was typed
# (never CLI11's "Value 0 not in range", never a type's limits); fractions of seconds likewise.
esc() { printf '%s' "$1" | sed 's/[.+]/\\&/g'; }
for v in 0 abc 1e3 -5 nan 1.5 +3 ''; do
  whole="bad value '$(esc "$v")': must be a whole number"
  check "bench -c '$v'" 2 "^sockit: --connections: $whole from 1 to 1000000$" "$SOCKIT" bench -c "$v" 127.0.0.1:9
  check "bench --depth '$v'" 2 "^sockit: --depth: $whole from 1 to 4096$" "$SOCKIT" bench --depth "$v" 127.0.0.1:9
  check "bench -s '$v'" 2 "^sockit: --size: $whole of bytes from 1 to 16777216$" "$SOCKIT" bench -s "$v" 127.0.0.1:9
  check "bench --server-pid '$v'" 2 "^sockit: --server-pid: $whole from 1 to 4194304$" "$SOCKIT" bench --server-pid "$v" 127.0.0.1:9
  check "bench --per-source '$v'" 2 "^sockit: $whole from 1 to 1000000$" "$SOCKIT" bench --per-source "$v" 127.0.0.1:9
  check "udp recv -c '$v'" 2 "^sockit: --count: $whole, at least 1$" "$SOCKIT" udp recv -c "$v" 0
  check "proto call -c '$v'" 2 "^sockit: --count: $whole from 1 to 100000000$" "$SOCKIT" proto call -c "$v" 127.0.0.1:9 ping
  check "proto call ping -c '$v'" 2 "^sockit: --count: $whole from 1 to 100000000$" "$SOCKIT" proto call 127.0.0.1:9 ping -c "$v"
  check "echo --max-conns '$v'" 2 "^sockit: --max-conns: $whole from 1 to 1000000$" "$SOCKIT" echo --max-conns "$v"
  check "proto serve --max-conns '$v'" 2 "^sockit: --max-conns: $whole from 1 to 1000000$" "$SOCKIT" proto serve --max-conns "$v"
  check "probe -c '$v'" 2 "^sockit: --concurrency: $whole from 1 to 65535$" "$SOCKIT" probe -c "$v" 127.0.0.1 9
done
for v in 70000 -1 x; do
  whole="bad value '$v': must be a whole number"
  check "proto serve --max-payload '$v'" 2 "^sockit: --max-payload: $whole of bytes from 0 to 65535$" "$SOCKIT" proto serve --max-payload "$v"
  check "proto call --max-payload '$v'" 2 "^sockit: --max-payload: $whole of bytes from 0 to 65535$" "$SOCKIT" proto call --max-payload "$v" 127.0.0.1:9 ping
done
check "proto serve --max-payload-v2 2^31" 2 "^sockit: --max-payload-v2: bad value '2147483648': must be a whole number of bytes from 0 to 1073741824$" \
  "$SOCKIT" proto serve --max-payload-v2 2147483648
check "proto call --max-payload-v2 x" 2 "^sockit: --max-payload-v2: bad value 'x': must be a whole number of bytes, at least 0$" \
  "$SOCKIT" proto call --max-payload-v2 x 127.0.0.1:9 ping
for v in 0 86401 nan inf -1 x; do
  check "bench -t '$v'" 2 "^sockit: --time: bad value '$(esc "$v")': must be a number of seconds greater than 0, at most 86400 \\(e\\.g\\. 0\\.5\\)$" "$SOCKIT" bench -t "$v" 127.0.0.1:9
done
for v in -1 3601 nan x; do
  check "bench --warmup '$v'" 2 "^sockit: --warmup: bad value '$v': must be a number of seconds from 0 to 3600 \\(e\\.g\\. 0\\.5\\)$" "$SOCKIT" bench --warmup "$v" 127.0.0.1:9
done

# --engine: one of the names, never a number, never CLI11's internal map.
for e in kqueue 3 0 ''; do
  check "--engine '$e'" 2 "^sockit: --engine: bad value '$e': expected auto, uring, epoll, poll or select$" "$SOCKIT" echo --engine "$e"
done
run "$TMP/out" "$TMP/err" -- timeout 1 "$SOCKIT" udp recv --engine POLL -w 0.1 0
expect_rc 0 "--engine POLL (any case) accepted"

# Unknown options and command words are named as such, for the command they were given to, at
# any depth, before anything connects or sends (CLI11 alone sets them aside and blames what
# follows: "not expected: 1 -p", "port is required", "A subcommand is required").
bg "$SOCKIT" -v listen 0 </dev/null >"$TMP/u.out" 2>"$TMP/u.err"
listening_port P "$TMP/u.err" tcp
bg "$SOCKIT" udp recv 0 </dev/null >"$TMP/ur.out" 2>"$TMP/ur.err"
listening_port UP "$TMP/ur.err" udp
unknown="^sockit: unknown option"
check "connect -j" 2 "$unknown '-j' for 'sockit connect' \(see 'sockit connect --help'\)$" "$SOCKIT" connect -j 40000 127.0.0.1 "$P"
check "connect -l" 2 "$unknown '-l' for 'sockit connect' \(see 'sockit connect --help'\)$" "$SOCKIT" connect -l "$P"
check "connect -l (after)" 2 "$unknown '-l' for 'sockit connect'" "$SOCKIT" connect 127.0.0.1 "$P" -l
check "connect --long=value" 2 "$unknown '--bogus' for 'sockit connect'" "$SOCKIT" connect --bogus=1 127.0.0.1 "$P"
check "connect bundled -vZ" 2 "$unknown '-Z' for 'sockit connect'" "$SOCKIT" connect -vZ 127.0.0.1 "$P"
check "unknown option before the command" 2 "$unknown '-q' for 'sockit' \(see 'sockit --help'\)$" "$SOCKIT" -q connect 127.0.0.1 "$P"
check "connect extra word" 2 "^sockit: unexpected argument 'extra' for 'sockit connect' \(see 'sockit connect --help'\)$" \
  "$SOCKIT" connect 127.0.0.1 "$P" extra
check "udp send -q" 2 "$unknown '-q' for 'sockit udp send' \(see 'sockit udp send --help'\)$" "$SOCKIT" udp send -q "127.0.0.1:$UP" x
check "udp send text -abc" 2 "$unknown '-abc' for 'sockit udp send'" "$SOCKIT" udp send "127.0.0.1:$UP" -abc
check "udp recv -q" 2 "$unknown '-q' for 'sockit udp recv'" "$SOCKIT" udp recv -q 0
check "bench -q" 2 "$unknown '-q' for 'sockit bench'" "$SOCKIT" bench -q 5 "127.0.0.1:$P"
check "echo --bogus" 2 "$unknown '--bogus' for 'sockit echo'" "$SOCKIT" echo --bogus 0
check "proto serve -q" 2 "$unknown '-q' for 'sockit proto serve'" "$SOCKIT" proto serve -q 0
check "proto call -q" 2 "$unknown '-q' for 'sockit proto call' \(see 'sockit proto call --help'\)$" "$SOCKIT" proto call -q "127.0.0.1:$P" ping
check "proto call ping -q" 2 "$unknown '-q' for 'sockit proto call'" "$SOCKIT" proto call "127.0.0.1:$P" ping -q
check "udp foo" 2 "^sockit: unknown command 'foo' for 'sockit udp' \(send, recv\)$" "$SOCKIT" udp foo
check "proto foo" 2 "^sockit: unknown command 'foo' for 'sockit proto' \(serve, call\)$" "$SOCKIT" proto foo 127.0.0.1:1
check "udp without a command" 2 "^sockit: 'sockit udp' needs a command \(send, recv\)$" "$SOCKIT" udp
# A negative number is a value (its range error), not an unknown option.
check "bench -c -5" 2 "^sockit: --connections: bad value '-5'" "$SOCKIT" bench -c -5 "127.0.0.1:$P"
check "connect port -5" 2 "^sockit: bad port '-5'" "$SOCKIT" connect 127.0.0.1 -5
# Still fine: global flags after the command, '--' before text that starts with '-', '-' as a word.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send -w 0 "127.0.0.1:$UP" -x -- -abc </dev/null
expect_rc 0 "udp send -w 0 -x -- -abc (sent only)"
check "udp send -- -abc -v" 2 "^sockit: unexpected argument '-v' for 'sockit udp send'" "$SOCKIT" udp send -w 0 "127.0.0.1:$UP" -- -abc -v
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send -w 0 "127.0.0.1:$UP" - </dev/null
expect_rc 0 "udp send -w 0 - (sent only)"
# The receiver prints what it got when it gets the CPU: wait for the last datagram, not a fixed pause.
wait_match "$TMP/ur.out" ': -$' || true
sleep 0.3  # (and a little more for anything that should not be there)
kill "${_PIDS[@]}" 2>/dev/null; wait 2>/dev/null
grep -q 'connection from' "$TMP/u.err" && fail "a command with an unknown option connected: $(cat "$TMP/u.err")"
grep -q -- '-abc' "$TMP/ur.out" || fail "udp send -x -- -abc: not received: $(cat "$TMP/ur.out")"
grep -q ': -$' "$TMP/ur.out" || fail "udp send -: not received: $(cat "$TMP/ur.out")"
grep -q 'x$' "$TMP/ur.out" && fail "udp send with an unknown option sent: $(cat "$TMP/ur.out")"

# listen: the usage names [ADDR] PORT, and a missing port is called that.
check "listen without arguments" 2 "^sockit: port is required \(usage: sockit listen \[ADDR\] PORT\)$" "$SOCKIT" listen
"$SOCKIT" listen --help | grep -q '^Usage: sockit listen \[OPTIONS\] \[ADDR\] PORT$' || fail "listen usage line: $("$SOCKIT" listen --help | grep Usage)"
# udp send with a host but no port says what was expected.
check "udp send HOST only" 2 "^sockit: bad target '127\.0\.0\.1': expected HOST:PORT" "$SOCKIT" udp send 127.0.0.1 hi

# Runtime failures: exit 1.
P=$(free_port)
check "connect refused" 1 "^sockit: connect 127\.0\.0\.1:$P: Connection refused \(ECONNREFUSED\)$" "$SOCKIT" connect 127.0.0.1 "$P"

# Port in use: a second listener on the same port.
bg "$SOCKIT" listen 0 </dev/null >/dev/null 2>"$TMP/listen.err"
listening_port P "$TMP/listen.err" tcp
check "listen port in use" 1 "^sockit: listen 127\.0\.0\.1:$P: Address already in use \(EADDRINUSE\); another program holds it \(choose another, or 0\)$" "$SOCKIT" listen "$P"
bg "$SOCKIT" listen -u 0 </dev/null >/dev/null 2>"$TMP/listen_u.err"
listening_port P "$TMP/listen_u.err" udp
check "listen -u port in use" 1 "^sockit: bind udp 127\.0\.0\.1:$P: Address already in use \(EADDRINUSE\); another program holds it \(choose another, or 0\)$" "$SOCKIT" listen -u "$P"
check "udp recv port in use" 1 "^sockit: bind udp 127\.0\.0\.1:$P: Address already in use \(EADDRINUSE\); another program holds it \(choose another, or 0\)$" "$SOCKIT" udp recv -w 1 "$P"

# A datagram larger than IPv4 can carry (IPv6 would take it): a usage error naming the limit.
check "udp send over IPv4's datagram limit" 2 "^sockit: udp send: message of 65510 bytes is longer than a UDP datagram to 127\.0\.0\.1:9 can carry \(65507 bytes\)$" \
  "$SOCKIT" udp send 127.0.0.1:9 "$(head -c 65510 /dev/zero | tr '\0' a)"
# From stdin, longer than any datagram: reading stops, and the limit named is IPv4's.
check "udp send, 70000 bytes of stdin to IPv4" 2 "^sockit: udp send: message of more than 65507 bytes is longer than a UDP datagram to 127\.0\.0\.1:9 can carry \(65507 bytes\)$" \
  sh -c "head -c 70000 /dev/zero | \"\$1\" udp send 127.0.0.1:9" sh "$SOCKIT"
check "bench --udp over IPv4's datagram limit" 2 "^sockit: bench: --udp --size 65510 is larger than a UDP datagram to 127\.0\.0\.1:9 can carry \(65507 bytes\)$" \
  "$SOCKIT" bench --udp -s 65510 127.0.0.1:9

# Binding port 7 without the privilege: test_privileged_ports.sh. An unknown host:
# test_cli_unknown_host.sh (in a namespace). Each skips with its reason where it cannot run.

finish

#!/usr/bin/env bash
# Ports by service name (/etc/services, Debian's netbase) on every kind of command that takes a
# port: a positional PORT (listen, connect, connect -u), HOST:PORT (udp send/recv, relay, bench,
# proto call), a port option (echo -p, proto serve -p, serve --echo-port, ping --tcp,
# --source-port) and probe's port list. Everything runs in a network namespace of its own, where
# the well-known ports are free. Also: a name is looked up for the command's transport only (as
# nc), -n refuses names, an unknown name is one usage line, and messages print numbers.
. "$SOCKIT_TEST_LIB"
need timeout python3 ss
make_netns
[ -r /etc/services ] || die "/etc/services is missing (scripts/deps.sh installs netbase)"

# listen and connect by name: http-alt is 8080/tcp; the listener's socket is seen on 8080.
bg ip netns exec "$NS" "$SOCKIT" -v listen 127.0.0.1 http-alt >"$TMP/listen.out" 2>"$TMP/listen.err"
LISTEN=$BG_PID
wait_listen 8080 tcp "$NS"
wait_match "$TMP/listen.err" "listening on 127\.0\.0\.1:8080" || true  # printed just after listen(2)
expect_contains "$TMP/listen.err" "listening on 127.0.0.1:8080" "listen prints the number"
# --source-port by name too: telnet is 23/tcp, seen by the listener as the peer's port.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" connect -w 5 --source-port telnet 127.0.0.1 http-alt <<<"by name"
expect_rc 0 "connect 127.0.0.1 http-alt"
for _ in $(seq 50); do kill -0 "$LISTEN" 2>/dev/null || break; sleep 0.1; done
kill "$LISTEN" 2>/dev/null
wait "$LISTEN"
expect_eq "$(cat "$TMP/listen.out")" "by name" "listen got the line connect sent"
expect_contains "$TMP/listen.err" "127.0.0.1:23" "the peer's source port (telnet = 23)"

# Messages keep numbers: a refused connect names port 22, not ssh.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" connect -w 2 127.0.0.1 ssh </dev/null
expect_rc 1 "connect to a closed ssh port"
expect_contains "$TMP/err" "127.0.0.1:22" "connect's error names the number"

# An unknown name: one usage line, exit 2 (positional, HOST:PORT, option, list).
for cmd in "connect 127.0.0.1 nosuch" "listen nosuch" "udp send 127.0.0.1:nosuch hi" "echo -p nosuch" \
           "relay 127.0.0.1:nosuch 127.0.0.1:80" "relay 0 127.0.0.1:nosuch" "probe 127.0.0.1 22,nosuch" \
           "bench 127.0.0.1:nosuch" "udp recv 127.0.0.1:nosuch" "recv 127.0.0.1:nosuch" "send /dev/null 127.0.0.1:nosuch" \
           "proto call 127.0.0.1:nosuch ping" "proto serve -p nosuch" "ping --tcp nosuch 127.0.0.1" "mcast recv 239.1.2.3:nosuch"; do
  # shellcheck disable=SC2086
  run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" $cmd </dev/null
  expect_rc 2 "$cmd"
  expect_lines "$TMP/err" 1 "$cmd"
  # Positionals and HOST:PORT say "bad port"; options name themselves ("bad --port", "--tcp: bad port").
  expect_contains "$TMP/err" "^sockit: \(bad port\|bad --port\|--tcp: bad port\) 'nosuch': not a port number (1-65535) nor a service name in /etc/services$" "$cmd"
done
run "$TMP/out" "$TMP/err" -- "$SOCKIT" udp send 127.0.0.1:nosuch hi
expect_eq "$(cat "$TMP/err")" "sockit: bad port 'nosuch': not a port number (1-65535) nor a service name in /etc/services" \
  "udp send's line"
# A name is looked up for the command's transport only: bootps is 67/udp, never a TCP port.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" connect 127.0.0.1 bootps </dev/null
expect_rc 2 "connect (TCP) to a UDP-only name"
# -n: no service lookups either.
for cmd in "connect -n 127.0.0.1 ssh" "listen -n 127.0.0.1 ssh" "connect -n --source-port telnet 127.0.0.1 22"; do
  # shellcheck disable=SC2086
  run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" $cmd </dev/null
  expect_rc 2 "$cmd"
  expect_lines "$TMP/err" 1 "$cmd"
  expect_contains "$TMP/err" "^sockit: -n: .* is a service name, not a number" "$cmd"
done

# UDP by name: tftp is 69/udp only. udp recv ADDR:NAME, udp send HOST:NAME, connect -u HOST NAME.
bg ip netns exec "$NS" "$SOCKIT" udp recv 127.0.0.1:tftp >"$TMP/udp.out" 2>"$TMP/udp.err"
UDPRECV=$BG_PID
wait_listen 69 udp "$NS"
# udp send waits for a reply that udp recv never sends: exit 1 after -w, the datagram is sent.
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" udp send -w 0.1 127.0.0.1:tftp "sent to tftp"
expect_contains "$TMP/err" "udp 127.0.0.1:69: no reply" "udp send 127.0.0.1:tftp (its message names the number)"
echo "via connect -u" | timeout 5 ip netns exec "$NS" "$SOCKIT" connect -u -q 0.2 127.0.0.1 tftp >/dev/null 2>"$TMP/err" \
  || fail "connect -u 127.0.0.1 tftp: $(cat "$TMP/err")"
wait_nonempty "$TMP/udp.out"
for _ in $(seq 30); do grep -q "via connect -u" "$TMP/udp.out" && break; sleep 0.1; done
expect_contains "$TMP/udp.out" "sent to tftp" "udp recv got udp send's datagram"
expect_contains "$TMP/udp.out" "via connect -u" "udp recv got connect -u's datagram"
stop_server "$UDPRECV"

# Servers' port options: echo -p echo (7), serve --echo-port, then relay http -> echo, probe and
# bench by name, and ping --tcp.
bg ip netns exec "$NS" "$SOCKIT" echo --tcp -p echo >/dev/null 2>"$TMP/echo.err"
ECHO=$BG_PID
wait_listen 7 tcp "$NS"
bg ip netns exec "$NS" "$SOCKIT" relay 127.0.0.1:http 127.0.0.1:echo >/dev/null 2>"$TMP/relay.err"
RELAY=$BG_PID
wait_listen 80 tcp "$NS"
got=$(echo "through the relay" | timeout 5 ip netns exec "$NS" "$SOCKIT" connect -q 1 127.0.0.1 www 2>"$TMP/err")
expect_eq "$got" "through the relay" "connect www -> relay http -> echo"
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" probe -w 1 127.0.0.1 echo,ssh,http
expect_rc 0 "probe by name"
expect_lines "$TMP/out" 3 "probe by name"
expect_match "$TMP/out" "^127\.0\.0\.1 port 7/tcp open " "probe echo"
expect_match "$TMP/out" "^127\.0\.0\.1 port 22/tcp closed " "probe ssh"
expect_match "$TMP/out" "^127\.0\.0\.1 port 80/tcp open " "probe http"
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" --json bench -c 1 -t 0.3 --warmup 0 127.0.0.1:echo
expect_rc 0 "bench 127.0.0.1:echo"
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" ping -c 1 --tcp echo 127.0.0.1
expect_rc 0 "ping --tcp echo"
expect_contains "$TMP/out" "tcp port 7" "ping names the number"
stop_server "$RELAY"
stop_server "$ECHO"

bg ip netns exec "$NS" "$SOCKIT" proto serve -p http-alt >/dev/null 2>"$TMP/proto.err"
PROTO=$BG_PID
wait_listen 8080 tcp "$NS"
run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$SOCKIT" proto call 127.0.0.1:http-alt echo hello
expect_rc 0 "proto call 127.0.0.1:http-alt"
stop_server "$PROTO"

finish

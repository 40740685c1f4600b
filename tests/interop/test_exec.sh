#!/usr/bin/env bash
# connect/listen --exec and --sh-exec (ncat's -e/-c): the socket is the program's stdin and stdout.
# Proves: a line-reversing child served to clients in turn and 5 at once (all connections open
# together, each gets its own lines back: one child per connection, side by side); a child that
# exits early gives the client EOF; a client that never reads holds up no one else, and one that
# vanishes while its child floods it crashes nothing and leaves no zombie; children start with
# SIGPIPE/SIGINT/SIGTERM at their defaults, nothing blocked, and no descriptor of ours but the
# socket; a missing program is one error line (connect, listen: exit 1; listen -k: that peer is
# closed, the server goes on); connect --exec against nc -l, TCP and UDP; the exit status is the
# child's; -v logs each child's end; Ctrl+C stops the children (SIGTERM, SIGKILL after 2 s) and
# exits 0; usage errors exit 2; closed stdout/stderr change nothing.
. "$SOCKIT_TEST_LIB"
need nc python3 rev timeout ss

# children_of PID: "PID STAT" of PID's children.
children_of() { ps --ppid "$1" -o pid=,stat= 2>/dev/null; }
# no_zombies PID WHAT: waits up to 10 s until PID has no zombie (Z) child.
no_zombies() {
  for _ in $(seq 100); do children_of "$1" | grep -q ' Z' || return 0; sleep 0.1; done
  fail "$2: zombie children of sockit: $(children_of "$1" | tr '\n' ' ')"
}
# count_lines FILE ERE: how many lines of FILE match.
count_lines() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }
# wait_count FILE ERE N: up to 10 s until N lines match.
wait_count() { for _ in $(seq 100); do [ "$(count_lines "$1" "$2")" -ge "$3" ] && return 0; sleep 0.1; done; return 1; }

# The server's child: the first line picks what it does. "flood": write without end; "early":
# one line, then exit before reading anything; anything else: reverse each line as it comes
# (line by line, so a client can talk with it).
CHILD='IFS= read -r mode; case "$mode" in flood) exec yes;; early) echo bye; exit 0;; esac; while IFS= read -r l; do printf "%s\n" "$l" | rev; done'

# 1. listen -k --sh-exec: clients in turn, with nc.
bg sh -c "exec '$SOCKIT' -v listen -k --sh-exec '$CHILD' 0 </dev/null >'$TMP/l1.out' 2>'$TMP/l1.err'"; L=$BG_PID
listening_port P "$TMP/l1.err" tcp
for i in 1 2 3; do
  got=$(printf 'rev\nhello %s\nabc\n' "$i" | timeout 10 nc -N 127.0.0.1 "$P")
  expect_eq "$got" "$(printf '%s olleh\ncba' "$i")" "client $i in turn"
done
got=$(printf 'rev\nover ipv6\n' | timeout 10 nc -N ::1 "$P" 2>/dev/null)
[ -e /proc/net/if_inet6 ] && expect_eq "$got" "6vpi revo" "client over ::1"

# 2. Five at once: every connection is opened first, then each talks with its own child in turn,
# line by line, while all five stay open (served one after another this would hang).
cat >"$TMP/five.py" <<'EOF'
import socket, sys
port = int(sys.argv[1])
conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(5)]
files = [c.makefile("rwb", buffering=0) for c in conns]
for f in files:
    f.write(b"rev\n")
for rnd in range(3):
    for i, (c, f) in enumerate(zip(conns, files)):
        line = f"client {i} round {rnd}"
        c.sendall(line.encode() + b"\n")
        got = f.readline().decode().rstrip("\n")
        if got != line[::-1]:
            sys.exit(f"client {i}: sent {line!r}, got {got!r}")
for c in conns:
    c.shutdown(socket.SHUT_WR)
    if c.recv(10) != b"":
        sys.exit("no EOF after the child ended")
print("five ok")
EOF
timeout 20 python3 "$TMP/five.py" "$P" >"$TMP/five.out" 2>&1 || fail "5 concurrent clients: $(cat "$TMP/five.out")"

# 3. A child that exits early, while its client still has the connection open: the client sees its
# line, then EOF (nc ends without -N). (Input left unread when it exits would make its close a
# reset, which may destroy the line in flight: any program that exits early does that.)
got=$(printf 'early\n' | timeout 10 nc 127.0.0.1 "$P")
expect_eq "$got" "bye" "child that exits early"

# 4. A client that never reads (its child floods it) holds up no one; then it vanishes, and a
# second one reads a little and vanishes too: sockit survives, the children are reaped.
cat >"$TMP/flood.py" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
lazy = socket.create_connection(("127.0.0.1", port), timeout=10)
lazy.sendall(b"flood\n")
time.sleep(0.3)                      # its child fills the socket buffers and blocks
other = socket.create_connection(("127.0.0.1", port), timeout=10)
other.sendall(b"rev\nstill served\n")
other.shutdown(socket.SHUT_WR)
got = b""
while True:
    b = other.recv(100)
    if not b:
        break
    got += b
if got != b"devres llits\n":
    sys.exit(f"a client beside a non-reader got {got!r}")
lazy.close()                          # unread data: a reset under its child's writes
reader = socket.create_connection(("127.0.0.1", port), timeout=10)
reader.sendall(b"flood\n")
reader.recv(65536)
reader.close()
print("flood ok")
EOF
timeout 20 python3 "$TMP/flood.py" "$P" >"$TMP/flood.out" 2>&1 || fail "non-reading and vanishing clients: $(cat "$TMP/flood.out")"
# Every child so far has ended and been logged: 3 + 1 + 5 + 1 + 3 (the ::1 one only where IPv6 is).
n=$([ -e /proc/net/if_inet6 ] && echo 13 || echo 12)
wait_count "$TMP/l1.err" 'child [0-9]+ (exited with status|killed by signal)' "$n" \
  || fail "expected $n child-end lines: $(grep -c 'child' "$TMP/l1.err") in $(tail -5 "$TMP/l1.err")"
kill -0 "$L" 2>/dev/null || fail "listen -k died under vanishing clients: $(tail -3 "$TMP/l1.err")"
no_zombies "$L" "after vanishing clients"
[ -z "$(children_of "$L")" ] || fail "children left running: $(children_of "$L" | tr '\n' ' ')"
expect_match "$TMP/l1.err" '^.* info peer 127\.0\.0\.1:[0-9]+: child [0-9]+ exited with status 0$' "-v exit line"
expect_match "$TMP/l1.err" 'peer 127\.0\.0\.1:[0-9]+: child [0-9]+ (exited with status 1|killed by signal 13 \(SIGPIPE\))$' \
  "-v line of a flooding child whose client vanished"
expect_match "$TMP/l1.err" 'peer 127\.0\.0\.1:[0-9]+: started child [0-9]+: IFS=' "-v start line"
stop_server "$L"
expect_rc 0 "listen -k --sh-exec after SIGTERM"
[ -s "$TMP/l1.out" ] && fail "sockit wrote to its own stdout: $(head -c 200 "$TMP/l1.out")"

# 5. What a child inherits: signals at their defaults and unblocked (sockit ignores SIGPIPE and
# blocks SIGINT/SIGTERM/SIGCHLD while it waits), and no descriptor of ours but the socket.
bg sh -c "exec '$SOCKIT' listen -k -e 'grep -E ^Sig(Blk|Ign): /proc/self/status' 0 2>'$TMP/l5.err'"; L=$BG_PID
listening_port P "$TMP/l5.err" tcp
timeout 10 nc 127.0.0.1 "$P" </dev/null >"$TMP/sig.out"
blk=$(sed -n 's/^SigBlk:\t*//p' "$TMP/sig.out"); ign=$(sed -n 's/^SigIgn:\t*//p' "$TMP/sig.out")
[ -n "$blk" ] && [ -n "$ign" ] || fail "child's signal lines missing: $(cat "$TMP/sig.out")"
[ "$((16#${blk:-1}))" -eq 0 ] || fail "child starts with blocked signals: SigBlk $blk"
# SIGINT 2, SIGQUIT 3, SIGPIPE 13, SIGTERM 15, SIGCHLD 17: bit N-1 each.
[ $((16#${ign:-ffff} & 0x15006)) -eq 0 ] || fail "child starts with SIGPIPE/SIGINT/SIGTERM/SIGQUIT/SIGCHLD ignored: SigIgn $ign"
stop_server "$L"
# With -k, so both listening sockets (127.0.0.1 and ::1) are open when the child starts.
bg sh -c "exec '$SOCKIT' listen -k -e 'ls -l /proc/self/fd' 0 2>'$TMP/l5b.err'"; L=$BG_PID
listening_port P "$TMP/l5b.err" tcp
timeout 10 nc 127.0.0.1 "$P" </dev/null >"$TMP/fd.out"
expect_eq "$(grep -c 'socket:' "$TMP/fd.out")" 2 "sockets a child holds (its stdin and stdout only): $(cat "$TMP/fd.out")"
stop_server "$L"

# 6. A missing program. listen -k: one line per peer, the peer closed, the server goes on.
bg sh -c "exec '$SOCKIT' listen -k --exec '$TMP/no-such-program --flag' 0 2>'$TMP/l6.err'"; L=$BG_PID
listening_port P "$TMP/l6.err" tcp
for i in 1 2; do
  got=$(timeout 5 nc 127.0.0.1 "$P" </dev/null); RC=$?
  expect_eq "$RC/$got" "0/" "client $i of a missing program gets EOF"
done
kill -0 "$L" 2>/dev/null || fail "listen -k exited after a failed exec"
wait_count "$TMP/l6.err" "exec '.*/no-such-program --flag'" 2 || true  # the line may follow the close
expect_eq "$(count_lines "$TMP/l6.err" "^sockit: peer 127\.0\.0\.1:[0-9]+: exec '.*/no-such-program --flag': No such file or directory \(ENOENT\)$")" 2 \
  "one error line per peer of a missing program"
no_zombies "$L" "after failed execs"
stop_server "$L"
# listen without -k: exit 1.
bg sh -c "exec '$SOCKIT' listen --exec no-such-program-sockit 0 2>'$TMP/l6b.err'"; L=$BG_PID
listening_port P "$TMP/l6b.err" tcp
timeout 5 nc 127.0.0.1 "$P" </dev/null >/dev/null
wait "$L"; RC=$?
expect_rc 1 "listen --exec of a missing program"
expect_eq "$(grep -vc 'listening on' "$TMP/l6b.err")" 1 "listen: lines about a missing program"
# connect: exit 1, one line.
bg_on_free_port NP tcp nc -l 127.0.0.1 '{port}'
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect --exec no-such-program-sockit 127.0.0.1 "$NP"
expect_rc 1 "connect --exec of a missing program"
expect_eq "$(cat "$TMP/err")" "sockit: exec 'no-such-program-sockit': No such file or directory (ENOENT)" "connect's error line"

# 7. connect --exec against nc -l: the peer's lines reversed back; the exit status is the child's.
bg_on_free_port NP tcp sh -c "printf 'hello\nworld\n' | exec nc -N -l 127.0.0.1 {port} >'$TMP/nc7.out'"; N=$BG_PID
run "$TMP/out" "$TMP/err" -- "$SOCKIT" -v connect --exec rev 127.0.0.1 "$NP"
expect_rc 0 "connect --exec rev"
wait "$N"
expect_eq "$(cat "$TMP/nc7.out")" "$(printf 'olleh\ndlrow')" "nc -l got the reversed lines"
expect_match "$TMP/err" 'peer 127\.0\.0\.1:[0-9]+: child [0-9]+ exited with status 0$' "connect -v exit line"
bg_on_free_port NP tcp sh -c "exec nc -N -l 127.0.0.1 {port} </dev/null >/dev/null"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect --sh-exec 'cat >/dev/null; exit 3' 127.0.0.1 "$NP"
expect_rc 3 "connect --sh-exec exits with the child's status"
# UDP: the child's writes are datagrams to the peer.
bg_on_free_port NP udp sh -c "exec nc -u -l 127.0.0.1 {port} </dev/null >'$TMP/nc7u.out'"
run "$TMP/out" "$TMP/err" -- "$SOCKIT" connect -u --sh-exec 'echo over udp; sleep 0.2' 127.0.0.1 "$NP"
expect_rc 0 "connect -u --sh-exec"
wait_nonempty "$TMP/nc7u.out"
expect_eq "$(cat "$TMP/nc7u.out")" "over udp" "nc -u -l got the child's datagram"

# 8. listen without -k: one connection, its child's status is the exit code; later clients refused.
bg sh -c "exec '$SOCKIT' listen -4 --sh-exec 'sleep 0.5; exit 5' 0 2>'$TMP/l8.err'"; L=$BG_PID
listening_port P "$TMP/l8.err" tcp
timeout 5 nc 127.0.0.1 "$P" </dev/null >/dev/null &
# Once the first client is taken the listening socket is closed: wait for that (a fixed pause let a
# slow first nc come after the probe, which then was the first client).
for _ in $(seq 100); do ss -tlnH "sport = :$P" | grep -q . || break; sleep 0.1; done
timeout 5 nc -z 127.0.0.1 "$P" 2>/dev/null && fail "listen without -k accepted a second client"
wait "$L"; RC=$?
expect_rc 5 "listen --sh-exec exits with the child's status"

# 9. Ctrl+C with children running: SIGTERM to each child's process group (its own children too),
# SIGKILL after 2 s to one that ignores it, exit 0.
bg sh -c "exec '$SOCKIT' -v listen -k --sh-exec 'read -r m; [ \"\$m\" = stubborn ] && trap \"\" TERM; sleep 20' 0 2>'$TMP/l9.err'"; L=$BG_PID
listening_port P "$TMP/l9.err" tcp
cat >"$TMP/two.py" <<'EOF'
import socket, sys
port = int(sys.argv[1])
conns = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(2)]
conns[0].sendall(b"polite\n")
conns[1].sendall(b"stubborn\n")
for c in conns:                       # EOF once sockit has stopped the child
    if c.recv(10) != b"":
        sys.exit("data instead of EOF")
print("two ok")
EOF
timeout 15 python3 "$TMP/two.py" "$P" >"$TMP/two.out" 2>&1 & C=$!
wait_count "$TMP/l9.err" 'started child' 2 || fail "two children did not start: $(cat "$TMP/l9.err")"
kids=$(sed -n -E 's/.*started child ([0-9]+):.*/\1/p' "$TMP/l9.err")
# The stubborn child must have read its line and ignore SIGTERM before Ctrl+C (else SIGTERM ends
# it like the polite one): wait until one child ignores it (SigIgn bit 15), not a fixed pause.
ignores_term() { local m; m=$(awk '/^SigIgn:/ {print $2}' "/proc/$1/status" 2>/dev/null); [ -n "$m" ] && (( 16#$m & 0x4000 )); }
stubborn=""
for _ in $(seq 100); do
  for k in $kids; do ignores_term "$k" && stubborn=$k; done
  [ -n "$stubborn" ] && break
  sleep 0.1
done
[ -n "$stubborn" ] || fail "no child ignores SIGTERM: the stubborn one never read its line"
sleep 0.3  # the polite one has read its line too (either way SIGTERM ends it)
start=$SECONDS
kill -INT "$L"
for _ in $(seq 150); do kill -0 "$L" 2>/dev/null || break; sleep 0.1; done
wait "$L"; RC=$?
expect_rc 0 "listen -k --sh-exec after Ctrl+C"
[ $((SECONDS - start)) -le 10 ] || fail "Ctrl+C took $((SECONDS - start)) s"
expect_match "$TMP/l9.err" 'child [0-9]+ killed by signal 15 \(SIGTERM\)$' "the polite child ended by SIGTERM"
expect_match "$TMP/l9.err" 'child [0-9]+ killed by signal 9 \(SIGKILL\)$' "the stubborn child ended by SIGKILL"
for k in $kids; do
  # (a zombie is dead, waiting for init to reap it once sockit killed its parent)
  left=$(ps -e -o pgid=,pid=,stat=,cmd= | awk -v g="$k" '$1 == g && $3 !~ /^Z/')
  [ -n "$left" ] && fail "process group $k still has members after Ctrl+C: $left"
done
wait "$C" || fail "clients of stopped children: $(cat "$TMP/two.out")"

# 10. Usage errors: exit 2, one line.
for args in "connect --exec '' 127.0.0.1 1" "connect -e cat -c cat 127.0.0.1 1" "listen -u --exec cat 0" \
            "-x connect --exec cat 127.0.0.1 1" "listen --sh-exec ' ' 0"; do
  eval "run '$TMP/out' '$TMP/err' -- '$SOCKIT' $args"
  expect_rc 2 "sockit $args"
  expect_lines "$TMP/err" 1 "sockit $args"
done

# 11. Closed stdout and stderr: the child still serves (its stderr is then /dev/null).
bg sh -c "exec '$SOCKIT' listen -k --exec rev 0 >&- 2>&- </dev/null"; L=$BG_PID
P=""
for _ in $(seq 50); do
  P=$(ss -tlnpH 'sport > :0' 2>/dev/null | grep "pid=$L," | sed -n -E 's/.*127\.0\.0\.1:([0-9]+) .*/\1/p' | head -1)
  [ -n "$P" ] && break; sleep 0.1
done
[ -n "$P" ] || die "listen with closed stdout/stderr: no listening socket found"
expect_eq "$(printf 'closed\n' | timeout 5 nc -N 127.0.0.1 "$P")" "desolc" "served with closed stdout/stderr"
stop_server "$L"
expect_rc 0 "closed stdout/stderr: exit after SIGTERM"

finish

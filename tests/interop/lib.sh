# Shared helpers for the interop tests. Source it first thing:
#   . "$SOCKIT_TEST_LIB"
# Everything a test starts is registered here and cleaned up on exit, by PID (never by name);
# network namespaces it creates are deleted the same way.
set -u
SOCKIT=${SOCKIT:?SOCKIT must name the sockit binary}
TEST_NAME=$(basename "$0" .sh)
# Python test peers import their helpers (proto_frames.py) from this folder.
export PYTHONPATH="$(dirname "$SOCKIT_TEST_LIB")${PYTHONPATH:+:$PYTHONPATH}"
TMP=$(mktemp -d "/tmp/sockit-${TEST_NAME}.XXXXXX")
_PIDS=()
_NETNS=()
_FAILED=0

_cleanup() {
  local pid ns
  for pid in "${_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for ns in "${_NETNS[@]}"; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$ns" 2>/dev/null; done
  rm -rf "$TMP"
}
trap _cleanup EXIT

# skip REASON: exit 77. In CI a skip counts as a failure unless REASON names something CI cannot
# have; scripts/test.sh checks that.
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; _FAILED=1; }
die() { echo "FAIL: $*" >&2; exit 1; }
finish() { if [ "$_FAILED" -ne 0 ]; then echo "$TEST_NAME: FAILED"; exit 1; fi; echo "$TEST_NAME: ok"; exit 0; }

need() { local c; for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "needs $c (not installed)"; done; }
need_root() { [ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"; }
need_ipv6() {
  [ -e /proc/net/if_inet6 ] && ip -6 addr show dev lo 2>/dev/null | grep -q '::1' \
    || skip "CI cannot have: IPv6 is disabled here (no ::1 on lo)"
}

# bg CMD...: start in the background, remember its PID in $BG_PID.
bg() { "$@" & BG_PID=$!; _PIDS+=("$BG_PID"); }

# listening_port VAR ERRFILE tcp|udp [SERVICE]: waits up to 10 s for the line a sockit server
# prints on stderr once a socket is bound, "sockit: listening on ADDR:PORT (tcp|udp) [SERVICE]",
# and sets VAR to PORT. Start servers on port 0 with stderr in ERRFILE and read the port here:
# no race with other programs for a port chosen in advance.
listening_port() {
  local var=$1 err=$2 proto=$3 service=${4:-} p=""
  for _ in $(seq 100); do
    p=$(sed -n -E "s/^sockit: listening on .*:([0-9]+) \($proto\)${service:+ $service}\$/\1/p" "$err" 2>/dev/null | head -1)
    [ -n "$p" ] && break
    sleep 0.1
  done
  [ -n "$p" ] || die "no 'listening on ADDR:PORT ($proto)${service:+ $service}' line in $(basename "$err") after 10 s: $(head -c 300 "$err" 2>/dev/null)"
  printf -v "$var" '%s' "$p"
}

# engines [MIN_FDS]: the event loop backends to run a test on, one per line, from the binary's
# own engine table (`sockit --engines` prints "NAME MAX_FDS", 0 meaning no limit of its own),
# keeping those that can watch descriptors up to MIN_FDS. Never empty: if the table cannot be read,
# it names an engine that does not exist, so the test fails loudly instead of looping zero times.
engines() {
  local list
  list=$("$SOCKIT" --engines | awk -v min="${1:-0}" '$2 == 0 || $2 >= min { print $1 }')
  [ -n "$list" ] || { echo "FAIL: 'sockit --engines' listed no engine for ${1:-any} descriptors" >&2; list=none; }
  echo "$list"
}

# free_port [tcp|udp]: a port nothing uses right now. Only for peers that cannot report the port
# the kernel chose (nc, socat): start those with bg_on_free_port, which retries when the port
# was taken in between; sockit servers take port 0 and listening_port.
free_port() {
  local proto=${1:-tcp} p flag
  [ "$proto" = udp ] && flag=-uanH || flag=-tanH
  for _ in $(seq 100); do
    p=$(( (RANDOM % 30000) + 20000 ))
    ss $flag "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
  done
  die "no free port found"
}

# _owns_port PID tcp|udp PORT: whether PID or one of its children has a listening (tcp) or bound
# (udp) socket on PORT.
_owns_port() {
  local pid=$1 flag o
  [ "$2" = udp ] && flag=-ulnpH || flag=-tlnpH
  for o in $(ss $flag "sport = :$3" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2); do
    [ "$o" = "$pid" ] && return 0
    [ "$(ps -o ppid= -p "$o" 2>/dev/null | tr -d ' ')" = "$pid" ] && return 0
  done
  return 1
}

# bg_on_free_port VAR tcp|udp CMD...: starts a peer that must be given its port (nc, socat) on a
# free port: every "{port}" in CMD is replaced by it. Waits until the peer listens there, up to
# 10 s; if the peer exits first or someone else holds the port (it was taken between the choice
# and the bind), tries another port, up to 5 times. Sets VAR to the port and BG_PID to the peer.
bg_on_free_port() {
  local var=$1 proto=$2 p a try
  shift 2
  local args=()
  for try in 1 2 3 4 5; do
    p=$(free_port "$proto")
    args=()
    for a in "$@"; do args+=("${a//\{port\}/$p}"); done
    bg "${args[@]}"
    for _ in $(seq 100); do
      if _owns_port "$BG_PID" "$proto" "$p"; then printf -v "$var" '%s' "$p"; return 0; fi
      kill -0 "$BG_PID" 2>/dev/null || break
      sleep 0.1
    done
    echo "note: $1 did not come up on $proto port $p (try $try); trying another port" >&2
    kill "$BG_PID" 2>/dev/null
    wait "$BG_PID" 2>/dev/null
  done
  die "could not start $1 on a free $proto port after 5 tries"
}

# wait_listen PORT [tcp|udp] [NETNS]: wait up to 10 s until something listens on PORT.
wait_listen() {
  local port=$1 proto=${2:-tcp} ns=${3:-} flag
  [ "$proto" = udp ] && flag=-ulnH || flag=-tlnH
  for _ in $(seq 100); do
    if [ -n "$ns" ]; then ip netns exec "$ns" ss $flag "sport = :$port" | grep -q . && return 0
    else ss $flag "sport = :$port" | grep -q . && return 0; fi
    sleep 0.1
  done
  die "nothing listens on $proto port $port after 10 s"
}

# run OUT ERR -- CMD...: run with a 30 s cap; sets RC. Stdout/stderr land in files OUT and ERR.
run() {
  local out=$1 err=$2; shift 3
  timeout 30 "$@" >"$out" 2>"$err"
  RC=$?
}

# make_netns: a fresh network namespace with lo up; its name in $NS.
make_netns() {
  need_root
  need ip
  NS="sockit-${TEST_NAME}-$$-$RANDOM"
  ip netns add "$NS" || skip "cannot create network namespaces here (ip netns add failed)"
  _NETNS+=("$NS")
  ip -n "$NS" link set lo up || die "cannot bring lo up in $NS"
}

# make_lan: a small network of its own, for tests between separate hosts. Three hosts, each a
# network namespace ($LAN_A, $LAN_B, $LAN_C), plugged by veth pairs into one bridge that lives in a
# fourth namespace (the switch), so nothing of it appears in the machine's own namespace. Each host
# has eth0 with 10.77.9.N/24 and fd77:9::N/64 (N = 1, 2, 3; added with nodad, usable at once), a
# default route and the multicast routes (224.0.0.0/4, ff00::/8) on eth0. The bridge floods
# multicast (snooping off), so whether a host hears a group is decided by that host's own
# membership, which is what the tests check. Addresses in LAN_IP4=(a b c) and LAN_IP6=(a b c).
# Everything is deleted on exit with the other namespaces, also when the test fails.
make_lan() {
  need_root
  need ip
  local sw h i ns
  make_netns; sw=$NS
  ip -n "$sw" link add br0 type bridge mcast_snooping 0 stp_state 0 \
    || skip "cannot create a bridge here (ip link add type bridge failed)"
  ip -n "$sw" link set br0 up || die "br0 up in $sw"
  LAN_IP4=(10.77.9.1 10.77.9.2 10.77.9.3)
  LAN_IP6=(fd77:9::1 fd77:9::2 fd77:9::3)
  local hosts=()
  for i in 0 1 2; do
    make_netns; ns=$NS; hosts+=("$ns")
    ip -n "$sw" link add "port$i" type veth peer name eth0 netns "$ns" \
      || skip "cannot create a veth pair here (ip link add type veth failed)"
    ip -n "$sw" link set "port$i" master br0 up || die "port$i on br0"
    ip -n "$ns" link set eth0 up || die "eth0 up in $ns"
    ip -n "$ns" addr add "${LAN_IP4[$i]}/24" dev eth0 || die "IPv4 address in $ns"
    ip -n "$ns" -6 addr add "${LAN_IP6[$i]}/64" dev eth0 nodad || die "IPv6 address in $ns"
    ip -n "$ns" route add default dev eth0 || die "default route in $ns"
    ip -n "$ns" route add 224.0.0.0/4 dev eth0 2>/dev/null || true
    ip -n "$ns" -6 route add default dev eth0 || die "IPv6 default route in $ns"
  done
  LAN_A=${hosts[0]} LAN_B=${hosts[1]} LAN_C=${hosts[2]}
  # Up means carrier on both ends of every veth: wait up to 5 s.
  for h in "${hosts[@]}"; do
    for _ in $(seq 50); do
      ip -n "$h" -o link show eth0 | grep -q 'state UP' && break
      sleep 0.1
    done
    ip -n "$h" -o link show eth0 | grep -q 'state UP' || die "eth0 in $h did not come up"
  done
}

# wait_nonempty FILE: waits up to 10 s for FILE to have something in it (then the caller checks it).
wait_nonempty() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 0; }
# wait_match FILE ERE [SECS]: waits up to SECS (default 10) until a line of FILE matches ERE;
# returns 1 if none did (the caller's own check then says what is missing).
wait_match() {
  local n=$(( ${3:-10} * 10 ))
  for _ in $(seq "$n"); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# wait_accepted PORT [N]: waits up to 10 s until N (default 1) TCP connections to local PORT have
# been accepted: established there, less those still queued on its listeners (their Recv-Q), which
# a server stopped then would never count or serve. Returns 1 if not.
wait_accepted() {
  local port=$1 n=${2:-1} est queued
  for _ in $(seq 100); do
    est=$(ss -tnH state established "sport = :$port" 2>/dev/null | wc -l)
    queued=$(ss -tlnH "sport = :$port" 2>/dev/null | awk '{ q += $2 } END { print q + 0 }')
    [ $((est - queued)) -ge "$n" ] && return 0
    sleep 0.1
  done
  return 1
}
# wait_signal_taken PID [SIGNUM]: waits up to 10 s until PID has taken signal SIGNUM (default 2,
# SIGINT) over: a handler of its own, or the signal blocked in one of its threads (signalfd, or
# sigwait). A script's background job starts with SIGINT ignored: a SIGINT sent before is lost.
wait_signal_taken() {
  local pid=$1 bit=$(( 1 << (${2:-2} - 1) )) m shell
  shell=$(readlink /proc/$$/exe)
  for _ in $(seq 100); do
    # Still this shell's fork, before its exec: what it shows is the shell's, not the program's.
    [ "$(readlink /proc/"$pid"/exe 2>/dev/null)" = "$shell" ] && { sleep 0.1; continue; }
    for m in $(awk '/^Sig(Cgt|Blk):/ {print $2}' /proc/"$pid"/task/*/status 2>/dev/null); do
      (( 16#$m & bit )) && return 0
    done
    sleep 0.1
  done
  return 1
}
# wait_file PATH: up to 10 s for a socket file to appear and, for a stream socket, to listen: bind
# makes the file, and a connect between it and listen(2) is refused.
wait_file() {
  for _ in $(seq 100); do
    [ -S "$1" ] && ss -xanH 2>/dev/null | awk -v p="$1" '$5 == p && ($2 == "LISTEN" || $1 == "u_dgr") { f = 1 } END { exit !f }' && return 0
    sleep 0.1
  done
  fail "no listening socket file $1 after 10 s"
}
# wait_fifo_full FIFO: waits up to 10 s until FIFO holds 64 KiB unread (a pipe's capacity), so
# whatever writes into it is blocked; returns 1 if it never fills.
wait_fifo_full() {
  python3 - "$1" <<'PY'
import array, fcntl, os, sys, termios, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
for _ in range(100):
    n = array.array("i", [0]); fcntl.ioctl(fd, termios.FIONREAD, n)
    if n[0] >= 65536: sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
}
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
expect_rc() { [ "$RC" -eq "$1" ] || fail "$2: expected exit $1, got $RC (stderr: $(head -c 300 "$TMP/err" 2>/dev/null))"; }
expect_contains() { grep -q -- "$2" "$1" || fail "$3: '$2' not in $(basename "$1"): $(head -c 300 "$1")"; }
expect_lines() { local n; n=$(wc -l <"$1"); [ "$n" -eq "$2" ] || fail "$3: expected $2 line(s) in $(basename "$1"), got $n: $(head -c 300 "$1")"; }

# signal_wait SIG PID [SECS]: sends SIG, then waits up to SECS (default 5) for PID to exit (else a
# failure and SIGKILL); sets RC to its status and ELAPSED_MS to the time from the signal to the exit.
signal_wait() {
  local sig=$1 pid=$2 secs=${3:-5} t0
  t0=$(date +%s%N)
  kill -"$sig" "$pid"
  for _ in $(seq $((secs * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  # Bounded: a process that ignores the signal fails here instead of holding the test to its timeout.
  if kill -0 "$pid" 2>/dev/null; then fail "PID $pid still running $secs s after SIG$sig"; kill -9 "$pid"; fi
  wait "$pid"; RC=$?
  ELAPSED_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}
# stop_server PID: SIGTERM, then up to 30 s for PID to exit; sets RC to its status.
stop_server() { signal_wait TERM "$1" 30; }

# udp_dropped VAR FILE: sets VAR to the replies dropped by the UDP services, summed from the
# totals line of a --json server's stdout in FILE (the test fails if there is none). Returns 1
# without setting VAR when jq is not installed: the caller leaves that check out.
udp_dropped() {
  local totals
  totals=$(grep '"event":"totals"' "$2")
  [ -n "$totals" ] || fail "no totals line: $(cat "$2")"
  command -v jq >/dev/null || return 1
  printf -v "$1" '%s' "$(jq '[.services[] | select(.proto == "udp") | .dropped] | add' <<<"$totals")"
}

# on_pty SCRIPT WHAT CMD...: runs CMD on a pseudo-terminal under the python3 SCRIPT, a dialogue
# written with pty_session.Terminal (30 s cap), prints its steps, and fails the test as WHAT when
# a step failed.
on_pty() {
  local script=$1 what=$2
  shift 2
  timeout 30 python3 "$script" "$@" >"$TMP/tty.out" 2>&1 || fail "$what: $(grep -v '^ok' "$TMP/tty.out" | head -c 1500)"
  cat "$TMP/tty.out"
}

# serve_every_service OUT ERR: starts `sockit serve` with all four services on port 0 (stdout in
# OUT, stderr in ERR; its PID in SERVE) and sets the ports each socket got from the listening
# lines: E/EU echo, D/DU discard, T/TU daytime, C/CU chargen (TCP/UDP).
serve_every_service() {
  bg "$SOCKIT" serve --echo-port 0 --discard-port 0 --daytime-port 0 --chargen-port 0 >"$1" 2>"$2"
  SERVE=$BG_PID
  listening_port E "$2" tcp echo; listening_port EU "$2" udp echo
  listening_port D "$2" tcp discard; listening_port DU "$2" udp discard
  listening_port T "$2" tcp daytime; listening_port TU "$2" udp daytime
  listening_port C "$2" tcp chargen; listening_port CU "$2" udp chargen
}

# expect_match FILE ERE WHAT: some line of FILE matches the extended regular expression ERE.
expect_match() { grep -Eq -- "$2" "$1" || fail "$3: no line matches '$2' in $(basename "$1"): $(head -c 300 "$1")"; }

#!/usr/bin/env bash
# sockit.exe send and recv under Wine against the Linux sockit over 127.0.0.1, 20 MB of random
# bytes each way, byte-exact (cmp), names and --json summaries checked on both ends:
#   1. Linux `send` -> `sockit.exe recv` (the receiver's recv + write, part file, MoveFileEx);
#   2. `sockit.exe send` -> Linux `recv` (TransmitFile), the file named by a Windows path
#      (Z:\...\data.bin: the receiver is asked for "data.bin");
#   3. resume into sockit.exe: a Linux `send --resume` cut off by a relay after 6 MiB of body and
#      killed, so the Windows `recv --resume` keeps its part file; then both again with --resume
#      (and -f over a stale data.bin): only the rest crosses;
#   4. resume from sockit.exe: `sockit.exe send --resume` to a Linux `recv --resume` that holds
#      the first 5 MiB: TransmitFile starts at that offset;
#   5. bad input: a missing file (one line, exit 1), no port (exit 2), an existing name without
#      -f, and a name Windows cannot store ("a:b"), refused by sockit.exe recv with one line on
#      both sides, nothing stored (section 3's second receiver replaced a file under -f);
#   6. Ctrl+C at sockit.exe send while its chunk waits on a receiver that takes nothing: exit 1,
#      one line, within a few seconds.
# Prints the rates the --json summaries report (Linux to Linux in the same run, for a rough
# ratio; not asserted).
# Usage: test_wine_sendrecv.sh SOCKIT_EXE LINUX_SOCKIT
set -u
exe=$(realpath "$1") lin=$(realpath "$2")
[ -x "$lin" ] || { echo "SKIP: needs the Linux build's sockit at $lin (cmake --build --preset release first)"; exit 0; }
for t in jq python3 ss; do
  command -v "$t" >/dev/null || { echo "SKIP: needs $t (scripts/deps.sh test)"; exit 0; }
done
here=$(cd "$(dirname "$0")" && pwd)
relay_py=$here/../interop/transfer_relay.py
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.err; do [ -s "$f" ] && sed "s|^|  $(basename "$f"): |" "$f"; done; exit 1; }
win() { timeout 60 "$here/wine.sh" "$exe" "$@"; }

# The port a receiver announced on stderr ("sockit: listening on 127.0.0.1:PORT (tcp)").
port_of() {
  local p=
  for _ in $(seq 150); do
    p=$(sed -n 's/^sockit: listening on 127\.0\.0\.1:\([0-9]*\) (tcp).*/\1/p' "$1" | head -1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  return 1
}
# Waits up to 30 s for background process $1 and checks its exit status is $2.
wait_rc() {
  local pid=$1 want=$2 what=$3 rc
  for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "$what: still running after 30 s"
  wait "$pid"
  rc=$?
  [ "$rc" -eq "$want" ] || fail "$what: exit $rc, expected $want"
}
json_is() {  # FILE JQ-FILTER WANT WHAT
  local got
  got=$(jq -r "$2" "$1" 2>/dev/null)
  [ "$got" = "$3" ] || fail "$4: $2 is '$got', expected '$3' ($(cat "$1"))"
}

size=$((20 * 1000 * 1000))
cd "$work" || exit 1
mkdir win lin
head -c "$size" /dev/urandom >data.bin

# --- 0. Linux to Linux, the reference rate --------------------------------------------------------
"$lin" --json recv 0 -o lin >ll.json 2>ll.err &
pid=$!
pids+=("$pid")
port=$(port_of ll.err) || fail "Linux recv never said where it listens"
"$lin" send data.bin "127.0.0.1:$port" 2>lls.err || fail "Linux send to Linux recv exited $?"
wait_rc "$pid" 0 "Linux recv"
cmp -s data.bin lin/data.bin || fail "Linux to Linux: the file differs"
hash=$(jq -r '.items[0].hash' ll.json)
rm lin/data.bin
ref=$(jq -r .mb_per_s ll.json)

# --- 1. Linux send -> sockit.exe recv ---------------------------------------------------------------
"$here/wine.sh" "$exe" --json recv 0 -o win >wr.json 2>wr.err &
pid=$!
pids+=("$pid")
port=$(port_of wr.err) || fail "sockit.exe recv never said where it listens"
"$lin" --json send data.bin "127.0.0.1:$port" >ls.json 2>ls.err || fail "Linux send to sockit.exe recv exited $?"
wait_rc "$pid" 0 "sockit.exe recv"
cmp -s data.bin win/data.bin || fail "Linux send -> sockit.exe recv: win/data.bin differs from what was sent"
[ -z "$(ls -A win | grep -v '^data.bin$')" ] || fail "sockit.exe recv left more than data.bin: $(ls -A win)"
json_is wr.json '.role + " " + (.files|tostring) + " " + (.bytes|tostring)' "recv 1 $size" "sockit.exe recv --json"
json_is wr.json '.items[0].name + " " + .items[0].hash' "data.bin $hash" "sockit.exe recv --json item"
json_is ls.json '.items[0].hash' "$hash" "Linux send --json hash"
to_win=$(jq -r .mb_per_s wr.json)
echo "ok: Linux send -> sockit.exe recv, 20 MB byte-exact ($to_win MB/s)"

# --- 2. sockit.exe send (TransmitFile) -> Linux recv ------------------------------------------------
"$lin" --json recv 0 -o lin >lr.json 2>lr.err &
pid=$!
pids+=("$pid")
port=$(port_of lr.err) || fail "Linux recv never said where it listens"
winpath="Z:$(echo "$work/data.bin" | tr / '\\')"
win --json send "$winpath" "127.0.0.1:$port" >ws.json 2>ws.err || fail "sockit.exe send exited $?"
wait_rc "$pid" 0 "Linux recv"
cmp -s data.bin lin/data.bin || fail "sockit.exe send -> Linux recv: lin/data.bin differs from what was sent"
json_is ws.json '.role + " " + (.files|tostring) + " " + (.bytes|tostring)' "send 1 $size" "sockit.exe send --json"
json_is ws.json '.items[0].name + " " + .items[0].hash' "data.bin $hash" "sockit.exe send --json item"
json_is lr.json '.items[0].name' "data.bin" "Linux recv --json name"
# Windows has no Unix mode: the header says 0666 (the C runtime's view), stored & ~umask.
mode=$(printf '%o' $((0666 & ~0$(umask))))
[ "$(stat -c %a lin/data.bin)" = "$mode" ] || fail "sockit.exe send: stored with mode $(stat -c %a lin/data.bin), expected $mode"
from_win=$(jq -r .mb_per_s ws.json)
echo "ok: sockit.exe send -> Linux recv, 20 MB byte-exact, named from a Windows path ($from_win MB/s)"
rm lin/data.bin win/data.bin

# --- 3. Interrupted into sockit.exe recv --resume, then resumed ---------------------------------------
cut=$((6 * 1024 * 1024))
hdr=$((6 + 31 + 8))  # the file header for the name "data.bin", then the 14-byte start message
part=win/.data.bin.sockit-part
"$here/wine.sh" "$exe" recv 0 -o win --resume >/dev/null 2>wr3.err &
rpid=$!
pids+=("$rpid")
port=$(port_of wr3.err) || fail "sockit.exe recv --resume never said where it listens"
python3 "$relay_py" "$port" --stall-after $((hdr + 14 + cut)) >relay.out 2>relay.err &
pids+=($!)
for _ in $(seq 100); do grep -q '^relay port' relay.out && break; sleep 0.1; done
rport=$(sed -n 's/^relay port \([0-9]*\)$/\1/p' relay.out)
[ -n "$rport" ] || fail "the relay did not start"
"$lin" send --resume data.bin "127.0.0.1:$rport" 2>ls3.err &
spid=$!
pids+=("$spid")
for _ in $(seq 150); do [ "$(stat -c %s "$part" 2>/dev/null)" = "$cut" ] && break; sleep 0.1; done
[ "$(stat -c %s "$part" 2>/dev/null)" = "$cut" ] || fail "the part file never held the $cut bytes the relay let through"
kill -KILL "$spid"
wait "$spid" 2>/dev/null
wait_rc "$rpid" 1 "sockit.exe recv --resume of a killed sender"
grep -q "transfer truncated at $cut of $size bytes" wr3.err || fail "sockit.exe recv: no 'truncated' line"
[ -e win/data.bin ] && fail "a truncated transfer left win/data.bin"
[ "$(stat -c %s "$part" 2>/dev/null)" = "$cut" ] || fail "sockit.exe recv --resume did not keep its $cut bytes"
head -c 1000 /dev/urandom >win/data.bin  # replaced (MoveFileEx, MOVEFILE_REPLACE_EXISTING) under -f
"$here/wine.sh" "$exe" --json recv 0 -o win --resume -f >wr3.json 2>wr3.err &
pid=$!
pids+=("$pid")
port=$(port_of wr3.err) || fail "sockit.exe recv --resume (again) never said where it listens"
"$lin" --json send --resume data.bin "127.0.0.1:$port" >ls3.json 2>ls3.err || fail "Linux send --resume exited $?"
wait_rc "$pid" 0 "sockit.exe recv --resume (resumed)"
cmp -s data.bin win/data.bin || fail "resumed into sockit.exe: win/data.bin differs"
[ -e "$part" ] && fail "the part file is still there after the resume"
json_is ls3.json '.items[0].resumed_from' "$cut" "Linux send --resume resumed_from"
json_is wr3.json '.bytes' "$((size - cut))" "sockit.exe recv --json bytes (only the rest)"
echo "ok: interrupted at $cut bytes into sockit.exe recv --resume, resumed byte-exact"

# --- 4. sockit.exe send --resume from an offset ----------------------------------------------------
have=$((5 * 1024 * 1024))
head -c "$have" data.bin >lin/.data.bin.sockit-part
"$lin" --json recv 0 -o lin --resume >lr4.json 2>lr4.err &
pid=$!
pids+=("$pid")
port=$(port_of lr4.err) || fail "Linux recv --resume never said where it listens"
win --json send --resume data.bin "127.0.0.1:$port" >ws4.json 2>ws4.err || fail "sockit.exe send --resume exited $?"
wait_rc "$pid" 0 "Linux recv --resume"
cmp -s data.bin lin/data.bin || fail "sockit.exe send --resume: lin/data.bin differs"
json_is ws4.json '.items[0].resumed_from' "$have" "sockit.exe send --resume resumed_from"
json_is lr4.json '.bytes' "$((size - have))" "Linux recv --resume bytes (only the rest)"
echo "ok: sockit.exe send --resume sent the rest from $have bytes (TransmitFile at an offset), byte-exact"

# --- 5. Bad input ---------------------------------------------------------------------------------
win send missing.bin 127.0.0.1:9 >/dev/null 2>bad.err
rc=$?
[ "$rc" -eq 1 ] || fail "sockit.exe send of a missing file: exit $rc, expected 1"
[ "$(wc -l <bad.err)" -eq 1 ] && grep -q '^sockit: open missing.bin: No such file or directory' bad.err ||
  fail "sockit.exe send of a missing file: not one clear line: $(cat bad.err)"
# A path that starts with '/' is a path, not a Windows-style "/option" (CLI11's default there).
win send /nonexistent/missing.bin 127.0.0.1:9 >/dev/null 2>bad.err
rc=$?
[ "$rc" -eq 1 ] && grep -q '^sockit: open /nonexistent/missing.bin: No such file or directory' bad.err ||
  fail "sockit.exe send /nonexistent/missing.bin: exit $rc, $(cat bad.err)"
win recv >/dev/null 2>bad.err
rc=$?
[ "$rc" -eq 2 ] || fail "sockit.exe recv without a port: exit $rc, expected 2"
[ "$(wc -l <bad.err)" -eq 1 ] || fail "sockit.exe recv without a port: not one line: $(cat bad.err)"
"$here/wine.sh" "$exe" recv 0 -o win >/dev/null 2>wr5.err &
pid=$!
pids+=("$pid")
port=$(port_of wr5.err) || fail "sockit.exe recv never said where it listens"
"$lin" send data.bin "127.0.0.1:$port" 2>ls5.err && fail "Linux send over an existing win/data.bin without -f succeeded"
wait_rc "$pid" 1 "sockit.exe recv refusing an existing name"
grep -q "^sockit: refused 'data.bin': win/data.bin exists (the receiver needs --force to replace it)" wr5.err ||
  fail "sockit.exe recv's line for an existing name: $(cat wr5.err)"
cmp -s data.bin win/data.bin || fail "the refused transfer changed win/data.bin"
printf 'x' >'a:b'
"$here/wine.sh" "$exe" recv 0 -o win >/dev/null 2>wr5.err &
pid=$!
pids+=("$pid")
port=$(port_of wr5.err) || fail "sockit.exe recv never said where it listens"
"$lin" send 'a:b' "127.0.0.1:$port" 2>ls5.err
rc=$?
[ "$rc" -eq 1 ] || fail "Linux send of 'a:b' to sockit.exe: exit $rc, expected 1"
grep -q "^sockit: receiver: refused 'a:b': the name contains ':'" ls5.err || fail "sender's line for 'a:b': $(cat ls5.err)"
wait_rc "$pid" 1 "sockit.exe recv refusing 'a:b'"
grep -q "^sockit: refused 'a:b': the name contains ':'" wr5.err || fail "sockit.exe recv's line for 'a:b': $(cat wr5.err)"
[ -z "$(ls -A win | grep -v '^data.bin$')" ] || fail "a refused name left something behind: $(ls -A win)"
echo "ok: bad input (missing file exit 1, no port exit 2; an existing name and 'a:b' refused on both sides)"

# --- 6. Ctrl+C while sockit.exe send waits on a receiver that takes nothing -------------------------
"$lin" recv 0 -o lin -f >/dev/null 2>lr6.err &
rpid=$!
pids+=("$rpid")
port=$(port_of lr6.err) || fail "Linux recv never said where it listens"
kill -STOP "$rpid"
"$here/wine.sh" "$exe" send data.bin "127.0.0.1:$port" >/dev/null 2>ws6.err &
spid=$!
pids+=("$spid")
# Connected (Wine may take seconds to start it), then the receiver's socket buffers fill: a
# TransmitFile chunk waits on the peer.
for _ in $(seq 150); do ss -Htn state established "dport = :$port" | grep -q . && break; sleep 0.1; done
ss -Htn state established "dport = :$port" | grep -q . || fail "sockit.exe send never connected"
sleep 1
kill -INT "$spid"
wait_rc "$spid" 1 "sockit.exe send after Ctrl+C"
grep -q "^sockit: interrupted: send data.bin did not finish" ws6.err || fail "sockit.exe send after Ctrl+C: $(cat ws6.err)"
kill -CONT "$rpid"
wait_rc "$rpid" 1 "Linux recv of an interrupted sockit.exe send"
echo "ok: Ctrl+C stops sockit.exe send while a chunk waits on a stalled receiver (exit 1, one line)"

echo "rates (MB/s, 20 MB): Linux->Linux $ref, Linux->sockit.exe $to_win, sockit.exe->Linux $from_win"

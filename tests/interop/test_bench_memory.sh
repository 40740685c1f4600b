#!/usr/bin/env bash
# sockit bench's memory does not grow with connections x depth x size: messages in flight own no
# buffer (one shared pattern, a count of bytes to write, the echo verified as it arrives). 4
# connections x 4096 in flight x 16 MiB (256 GiB if each message had its buffer) must run in a few
# MiB. The run is fenced by RLIMIT_AS (1 GiB) so that a regression fails fast instead of eating the
# machine. What is still kept per message (its send time) is capped: -c x -d over 2^24 is refused.
. "$SOCKIT_TEST_LIB"
need python3

json_num() { sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p" "$1"; }

# A sanitized build reserves terabytes of shadow address space and keeps a quarantine of freed
# memory: no address-space fence there, and a looser bound on what stays resident.
if grep -qa __asan_init "$SOCKIT"; then as_limit=0 rss_cap=393216; else as_limit=$((1 << 30)) rss_cap=65536; fi

# fenced ARGS...: runs sockit ARGS with its address space capped (RLIMIT_AS); sets RC, and RSS to
# its peak resident size in KiB.
cat >"$TMP/fence.py" <<'PY'
import resource, subprocess, sys
limit, rss_file, out, err = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def fence():
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
with open(out, "wb") as o, open(err, "wb") as e:
    rc = subprocess.call(sys.argv[5:], stdout=o, stderr=e, preexec_fn=fence, timeout=30)
with open(rss_file, "w") as f:
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=f)
sys.exit(rc if rc >= 0 else 128 - rc)
PY
fenced() {
  python3 "$TMP/fence.py" "$as_limit" "$TMP/rss" "$TMP/out" "$TMP/err" "$SOCKIT" "$@"
  RC=$?
  RSS=$(cat "$TMP/rss" 2>/dev/null)
}

P=$(free_port)
bg "$SOCKIT" echo --tcp --port "$P"
wait_listen "$P"

fenced --json bench "127.0.0.1:$P" -c 4 -d 4096 -s 16777216 -t 1 --warmup 0
expect_rc 0 "bench -c 4 -d 4096 -s 16777216 in 1 GiB of address space"
expect_eq "$(json_num "$TMP/out" errors)" 0 "bench -c 4 -d 4096 -s 16777216: errors"
msgs=$(json_num "$TMP/out" messages)
[ "${msgs:-0}" -ge 1 ] || fail "bench -c 4 -d 4096 -s 16777216 echoed no whole 16 MiB message in 1 s: $(cat "$TMP/out" "$TMP/err")"
echo "bench -c 4 -d 4096 -s 16777216: ${msgs:-0} messages, max RSS ${RSS:-?} KiB"
[ "${RSS:-999999999}" -lt "$rss_cap" ] || fail "bench -c 4 -d 4096 -s 16777216 used ${RSS:-?} KiB resident (bounded: under $rss_cap KiB)"

# One connection, 64 x 16 MiB in flight (1 GiB of messages): the same few MiB.
fenced --json bench "127.0.0.1:$P" -c 1 -d 64 -s 16777216 -t 0.5 --warmup 0
expect_rc 0 "bench -c 1 -d 64 -s 16777216 in 1 GiB of address space"
[ "${RSS:-999999999}" -lt "$rss_cap" ] || fail "bench -c 1 -d 64 -s 16777216 used ${RSS:-?} KiB resident (bounded: under $rss_cap KiB)"

# Past the cap on messages in flight: a usage error naming the limit, before connecting (the
# target is a port nobody listens on).
Q=$(free_port)
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$Q" -c 5000 -d 4096 -t 0.5
expect_rc 2 "bench -c 5000 -d 4096 (20480000 in flight)"
expect_lines "$TMP/err" 1 "bench -c 5000 -d 4096: one error line"
expect_contains "$TMP/err" "20480000 messages in flight; at most 16777216" "bench names the in-flight limit"

finish

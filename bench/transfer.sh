#!/usr/bin/env bash
# File to file on loopback: `sockit send`/`sockit recv` (hash checked, fsynced, renamed) against
# `nc -l 127.0.0.1 PORT > out` / `nc -N 127.0.0.1 PORT < in` in the same run, interleaved (the
# order rotates every repetition), medians over the repetitions, and the median of the
# per-repetition ratios (nc's time over the method's in the same repetition), the steadier figure
# on a noisy machine. Also `sockit_splice`, `sockit recv --copy splice` (socket -> pipe -> file
# instead of recv + hash + write), to show which receive path is faster.
#
# Two floors, not tools (nothing is stored, so their output is not compared): `floor_copy`,
# `sockit send --raw` into `nc -l > /dev/null` (the receiver's one copy out of the socket and no
# file), and `floor_splice`, the same sender into a receiver that splices the socket into
# /dev/null (no copy at all); `floor_nc`, nc's sender (read + write) into that splicing receiver.
# They bound what any receiver that stores the file can reach here.
#
#   bench/transfer.sh                         # 5 reps of a 1 GiB file in a directory on the /tmp disk
#   bench/transfer.sh --reps 7 --mib 1024 --dir /dev/shm   # on tmpfs: no disk under the fsync
#
# Each run: the receiver listens first (not timed), then the clock runs from starting the sender to
# both ends exiting. The source file stays in the page cache for every method alike; `sync` runs
# between runs (not timed) so one run's dirty pages are not written back during the next. Every
# output is compared with the input once per method. Also reported: the median CPU seconds (user +
# system, /usr/bin/time) of the receiving and the sending process, steadier than wall time on a
# VM with steal. Traffic stays on 127.0.0.1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
SOCKIT=${SOCKIT:-$repo/build/release/sockit}
reps=5 mib=1024 base=/tmp methods="nc sockit sockit_splice"
while [ $# -gt 0 ]; do
  case $1 in
    --reps) reps=$2; shift 2 ;;
    --mib) mib=$2; shift 2 ;;
    --dir) base=$2; shift 2 ;;
    --methods) methods=${2//,/ }; shift 2 ;;
    *) echo "usage: $0 [--reps N] [--mib MIB] [--dir DIR] [--methods nc,sockit,sockit_splice,floor_copy,floor_splice,floor_nc]" >&2; exit 2 ;;
  esac
done
command -v nc >/dev/null || { echo "transfer.sh: needs nc (netcat-openbsd)" >&2; exit 1; }
[ -x "$SOCKIT" ] || { echo "transfer.sh: no sockit binary at $SOCKIT (build first)" >&2; exit 1; }

work=$(mktemp -d "$base/sockit-transfer-bench.XXXXXX")
pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/src" "$work/out"
in=$work/src/data.bin
head -c $((mib * 1024 * 1024)) /dev/urandom >"$in"
cat "$in" >/dev/null  # in the page cache for everyone
bytes=$(stat -c %s "$in")

free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( (RANDOM % 30000) + 20000 ))
    ss -tanH "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  echo "transfer.sh: no free port" >&2; exit 1
}
wait_listen() { for _ in $(seq 100); do ss -tlnH "sport = :$1" | grep -q . && return 0; sleep 0.05; done; return 1; }
now() { date +%s.%N; }

# run_one METHOD: prints the seconds one transfer took.
run_one() {
  local m=$1 out=$work/out/data.bin port t0 t1 rpid
  rm -f "$out" "$work"/out/.*sockit-part 2>/dev/null || true
  sync
  case $m in
    nc)
      port=$(free_port)
      /usr/bin/time -f "%U %S" -o "$work/rcpu" nc -l 127.0.0.1 "$port" >"$out" & rpid=$!; pids+=("$rpid")
      wait_listen "$port" || { echo "nc -l did not listen" >&2; exit 1; }
      t0=$(now); /usr/bin/time -f "%U %S" -o "$work/scpu" nc -N 127.0.0.1 "$port" <"$in"; wait "$rpid"; t1=$(now) ;;
    sockit|sockit_splice)
      local copy=read; [ "$m" = sockit_splice ] && copy=splice
      rm -f "$work/recv.err"; port=
      /usr/bin/time -f "%U %S" -o "$work/rcpu" "$SOCKIT" recv 0 -o "$work/out" --copy "$copy" 2>"$work/recv.err" & rpid=$!; pids+=("$rpid")
      for _ in $(seq 100); do
        port=$(sed -n 's/^sockit: listening on 127.0.0.1:\([0-9]*\) (tcp)$/\1/p' "$work/recv.err" 2>/dev/null); [ -n "$port" ] && break; sleep 0.05
      done
      [ -n "$port" ] || { echo "sockit recv did not listen: $(cat "$work/recv.err")" >&2; exit 1; }
      t0=$(now); /usr/bin/time -f "%U %S" -o "$work/scpu" "$SOCKIT" send "$in" "127.0.0.1:$port"; wait "$rpid"; t1=$(now) ;;
    floor_copy|floor_splice|floor_nc)
      port=$(free_port)
      if [ "$m" = floor_copy ]; then  # nc's receiver, minus its file
        /usr/bin/time -f "%U %S" -o "$work/rcpu" nc -l 127.0.0.1 "$port" >/dev/null & rpid=$!
      else
        /usr/bin/time -f "%U %S" -o "$work/rcpu" python3 "$here/splice_sink.py" "$port" & rpid=$!
      fi
      pids+=("$rpid")
      wait_listen "$port" || { echo "$m: the receiver did not listen" >&2; exit 1; }
      t0=$(now)
      if [ "$m" = floor_nc ]; then
        /usr/bin/time -f "%U %S" -o "$work/scpu" nc -N 127.0.0.1 "$port" <"$in"
      else
        /usr/bin/time -f "%U %S" -o "$work/scpu" "$SOCKIT" send --raw "$in" "127.0.0.1:$port"
      fi
      wait "$rpid"; t1=$(now) ;;
  esac
  # wall seconds, then the receiver's and the sender's CPU seconds (user + system)
  echo "$(echo "$t1 - $t0" | bc -l) $(awk '{print $1 + $2}' "$work/rcpu") $(awk '{print $1 + $2}' "$work/scpu")"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "# $(date -u +%Y-%m-%dT%H:%MZ) commit $(git -C "$repo" rev-parse --short HEAD) $(uptime | sed 's/.*load/load/')"
echo "# $mib MiB, $reps reps, in $base ($(df -T "$base" | awk 'NR==2 {print $2}')), methods: $methods"
read -r -a order <<<"$methods"
declare -A times rcpus scpus checked ratios
for rep in $(seq "$reps"); do
  declare -A this=()
  n=${#order[@]}
  for i in $(seq 0 $((n - 1))); do
    m=${order[$(( (i + rep) % n ))]}
    read -r s rc sc <<<"$(run_one "$m")"
    if [ -z "${checked[$m]:-}" ] && [ "${m#floor_}" = "$m" ]; then
      cmp -s "$in" "$work/out/data.bin" || { echo "transfer.sh: $m: output differs from input" >&2; exit 1; }
      checked[$m]=1
    fi
    times[$m]="${times[$m]:-} $s"
    this[$m]=$s
    rcpus[$m]="${rcpus[$m]:-} $rc"
    scpus[$m]="${scpus[$m]:-} $sc"
    printf 'rep %d %-12s %6.3f s  %7.1f MB/s  cpu recv %.2f s send %.2f s\n' "$rep" "$m" "$s" \
      "$(echo "$bytes / $s / 1000000" | bc -l)" "$rc" "$sc"
  done
  # nc's time over each method's in the same repetition: the two ran seconds apart, so a slow
  # spell of this shared machine weighs on both sides of the ratio.
  if [ -n "${this[nc]:-}" ]; then
    for m in "${order[@]}"; do ratios[$m]="${ratios[$m]:-} $(echo "${this[nc]} / ${this[$m]}" | bc -l)"; done
  fi
done
echo
printf '%-12s %10s %10s %8s %12s %14s %14s\n' method median_s MB/s vs_nc paired_vs_nc recv_cpu_s send_cpu_s
nc_med=$(tr ' ' '\n' <<<"${times[nc]:-}" | grep . | median || true)
for m in "${order[@]}"; do
  med=$(tr ' ' '\n' <<<"${times[$m]}" | grep . | median)
  ratio=-; [ -n "$nc_med" ] && ratio=$(printf '%.2fx' "$(echo "$nc_med / $med" | bc -l)")
  paired=-; [ -n "${ratios[$m]:-}" ] && paired=$(printf '%.2fx' "$(tr ' ' '\n' <<<"${ratios[$m]}" | grep . | median)")
  printf '%-12s %10.3f %10.1f %8s %12s %14.2f %14.2f\n' "$m" "$med" "$(echo "$bytes / $med / 1000000" | bc -l)" "$ratio" "$paired" \
    "$(tr ' ' '\n' <<<"${rcpus[$m]}" | grep . | median)" "$(tr ' ' '\n' <<<"${scpus[$m]}" | grep . | median)"
done

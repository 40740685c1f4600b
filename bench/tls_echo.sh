#!/usr/bin/env bash
# TLS echo on 127.0.0.1: sockit echo --tls against ncat --ssl -l -k --exec /bin/cat (a cat per
# connection), with the certificates tests/interop/make_certs.sh makes (EC P-256, TLS 1.3).
#   1. throughput: the same client, sockit bench --tls (4 connections, depth 4, 16 KiB messages),
#      against each server; repetitions interleaved (the order rotates), servers started once;
#   2. handshakes per second: openssl s_time -new (a full handshake per connection, no data)
#      against each, interleaved the same way; connections / wall-clock seconds. A third server
#      here, ncat --ssl -l -k without --exec (no cat forked per connection), is ncat's handshake
#      alone.
# Medians of the repetitions, and sockit's ratio to ncat.
#
#   bench/tls_echo.sh                 # 3 reps x 3 s
#   bench/tls_echo.sh --reps 5 --time 5
#
# Environment: SOCKIT (default build/release/sockit).
set -euo pipefail
cd "$(dirname "$0")/.."
SOCKIT=${SOCKIT:-$PWD/build/release/sockit}
reps=3 secs=3
while (($#)); do
  case $1 in
    --reps) reps=$2; shift ;;
    --time) secs=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "tls_echo.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
for c in ncat openssl jq python3; do command -v "$c" >/dev/null || { echo "tls_echo.sh: needs $c" >&2; exit 1; }; done
[ -x "$SOCKIT" ] || { echo "tls_echo.sh: no sockit binary at $SOCKIT (build the release preset)" >&2; exit 1; }

dir=$(mktemp -d /tmp/sockit-tls-bench.XXXXXX)
pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$dir"; return 0; }
trap cleanup EXIT
bash tests/interop/make_certs.sh "$dir/certs"
CA=$dir/certs/ca.pem

"$SOCKIT" echo --tls --tls-cert "$dir/certs/good.pem" --tls-key "$dir/certs/good.key" --port 0 2>"$dir/echo.err" >/dev/null &
pids+=($!)
for _ in $(seq 50); do
  sp=$(sed -n -E 's/^sockit: listening on 127\.0\.0\.1:([0-9]+) \(tls\) echo$/\1/p' "$dir/echo.err")
  [ -n "$sp" ] && break
  sleep 0.1
done
[ -n "$sp" ] || { echo "tls_echo.sh: sockit echo --tls did not start: $(cat "$dir/echo.err")" >&2; exit 1; }
np=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ncat --ssl --ssl-cert "$dir/certs/good.pem" --ssl-key "$dir/certs/good.key" -l -k 127.0.0.1 "$np" --exec /bin/cat 2>"$dir/ncat.err" &
pids+=($!)
np2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ncat --ssl --ssl-cert "$dir/certs/good.pem" --ssl-key "$dir/certs/good.key" -l -k 127.0.0.1 "$np2" </dev/null >/dev/null 2>&1 &
pids+=($!)
for p in "$np" "$np2"; do
  for _ in $(seq 50); do ss -Htln "sport = :$p" | grep -q . && break; sleep 0.1; done
done

declare -A mbps p50 hps
servers=(sockit ncat)
port() { case $1 in sockit) echo "$sp" ;; ncat) echo "$np" ;; *) echo "$np2" ;; esac; }
hs_servers=(sockit ncat ncat-noexec)
for ((r = 0; r < reps; r++)); do
  for ((k = 0; k < 2; k++)); do
    s=${servers[$(((r + k) % 2))]}
    j=$("$SOCKIT" --json bench --tls --tls-ca "$CA" "127.0.0.1:$(port "$s")" -c 4 -d 4 -s 16384 -t "$secs" --warmup 1)
    [ "$(jq .errors <<<"$j")" = 0 ] || { echo "tls_echo.sh: errors against $s: $(jq -r .first_error <<<"$j")" >&2; exit 1; }
    mbps[$s]+="$(jq '.mb_per_s * 10 | round / 10' <<<"$j") "
    p50[$s]+="$(jq '.latency_us.p50 | round' <<<"$j") "
  done
  for ((k = 0; k < 3; k++)); do
    s=${hs_servers[$(((r + k) % 3))]}
    t0=$(date +%s.%N)
    n=$(openssl s_time -connect "127.0.0.1:$(port "$s")" -new -time "$secs" -CAfile "$CA" 2>/dev/null |
      sed -n -E 's/^([0-9]+) connections in [0-9.]+s.*/\1/p' | head -1)
    t1=$(date +%s.%N)
    hps[$s]+="$(python3 -c "print(round($n / ($t1 - $t0), 1))") "
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {printf "%.1f\n", (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
printf '%-12s %8s %12s %14s   (medians of %d; all: MB/s | p50 us | handshakes/s)\n' server "MB/s" "p50 us" "handshakes/s" "$reps"
for s in "${hs_servers[@]}"; do
  if [ -n "${mbps[$s]:-}" ]; then
    printf '%-12s %8s %12s %14s   %s| %s| %s\n' "$s" "$(median <<<"${mbps[$s]}")" "$(median <<<"${p50[$s]}")" \
      "$(median <<<"${hps[$s]}")" "${mbps[$s]}" "${p50[$s]}" "${hps[$s]}"
  else
    printf '%-12s %8s %12s %14s   -| -| %s\n' "$s" - - "$(median <<<"${hps[$s]}")" "${hps[$s]}"
  fi
done
python3 - "$(median <<<"${mbps[sockit]}")" "$(median <<<"${mbps[ncat]}")" "$(median <<<"${hps[sockit]}")" \
  "$(median <<<"${hps[ncat]}")" "$(median <<<"${hps[ncat-noexec]}")" <<'PY'
import sys
a, b, c, d, e = map(float, sys.argv[1:])
print(f"sockit/ncat: throughput {a / b:.2f}x, handshakes per second {c / d:.2f}x ({c / e:.2f}x ncat without --exec)")
PY

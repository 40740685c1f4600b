#!/usr/bin/env bash
# Ports below ip_unprivileged_port_start without CAP_NET_BIND_SERVICE: listen (TCP and UDP) and
# serve --standard-ports fail with exit 1, one stderr line with EACCES and the hint; where the
# sysctl lets anyone bind port 7 they succeed instead. As root, the privilege is dropped with
# setpriv to user nobody, running a copy of the binary from a 0755 directory (a build tree under
# /root is not executable by nobody).
. "$SOCKIT_TEST_LIB"
need timeout ss
start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2>/dev/null || echo 1024)

if [ "$(id -u)" -eq 0 ]; then
  need setpriv
  chmod 755 "$TMP"
  mkdir -m 755 "$TMP/bin"
  cp "$SOCKIT" "$TMP/bin/sockit" && chmod 755 "$TMP/bin/sockit"
  unpriv=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all --bounding-set=-net_bind_service)
  "${unpriv[@]}" "$TMP/bin/sockit" --version >/dev/null 2>&1 \
    || die "user nobody cannot run the copied binary $TMP/bin/sockit"
  BIN=("${unpriv[@]}" "$TMP/bin/sockit")
else
  grep -q 'CapEff:[[:space:]]*0*$' /proc/self/status \
    || skip "CI cannot have: this non-root user holds capabilities (CapEff) it cannot drop without setpriv as root"
  BIN=("$SOCKIT")
fi

# one_line NAME PATTERN: stderr is exactly one line matching PATTERN.
one_line() {
  expect_lines "$TMP/err" 1 "$1: stderr"
  grep -Eq -- "$2" "$TMP/err" || fail "$1: stderr '$(cat "$TMP/err")' does not match /$2/"
}
hint="ports below $start need root or CAP_NET_BIND_SERVICE"

if [ "$start" -gt 7 ]; then
  run "$TMP/out" "$TMP/err" -- "${BIN[@]}" listen 7 </dev/null
  expect_rc 1 "listen 7 unprivileged"
  one_line "listen 7 unprivileged" "^sockit: listen 127\.0\.0\.1:7: Permission denied \(EACCES\); $hint"
  run "$TMP/out" "$TMP/err" -- "${BIN[@]}" listen -u 7 </dev/null
  expect_rc 1 "listen -u 7 unprivileged"
  one_line "listen -u 7 unprivileged" "^sockit: bind udp 127\.0\.0\.1:7: Permission denied \(EACCES\); $hint"
  run "$TMP/out" "$TMP/err" -- "${BIN[@]}" serve --standard-ports --services echo --tcp
  expect_rc 1 "serve --standard-ports unprivileged"
  one_line "serve --standard-ports unprivileged" \
    "^sockit: bind echo tcp 127\.0\.0\.1:7: Permission denied \(EACCES\); $hint"
else
  # The sysctl lets anyone bind port 7: the same commands must succeed.
  ss -tlnH 'sport = :7' | grep -q . && skip "CI cannot have: port 7 is taken on this machine and the sysctl lets anyone bind it"
  bg "${BIN[@]}" listen 7 </dev/null >/dev/null 2>"$TMP/err"
  wait_listen 7
  kill "$BG_PID"; wait "$BG_PID" 2>/dev/null  # gone, port 7 free again, before serve binds it
  run "$TMP/out" "$TMP/err" -- timeout 2 "${BIN[@]}" serve --standard-ports --services echo --tcp
  [ "$RC" -eq 124 ] || fail "serve --standard-ports with ip_unprivileged_port_start=$start: exit $RC ($(cat "$TMP/err"))"
fi
finish

#!/usr/bin/env bash
# A host name that does not resolve is a runtime failure (exit 1, "sockit: resolve NAME: ..."),
# for connect, connect -u, probe, listen, udp send and serve --bind. Run inside a network
# namespace that has nothing but lo, so the query cannot leave the machine.
. "$SOCKIT_TEST_LIB"
need timeout
make_netns

check() {
  local name=$1 pattern=$2; shift 2
  run "$TMP/out" "$TMP/err" -- ip netns exec "$NS" "$@" </dev/null
  expect_rc 1 "$name"
  expect_lines "$TMP/err" 1 "$name"
  grep -Eq -- "$pattern" "$TMP/err" || fail "$name: stderr '$(cat "$TMP/err")' does not match /$pattern/"
}
check "connect unknown host" "^sockit: resolve no-such-host\.invalid: " "$SOCKIT" connect no-such-host.invalid 80
check "connect -u unknown host" "^sockit: resolve no-such-host\.invalid: " "$SOCKIT" connect -u no-such-host.invalid 80
check "probe unknown host" "^sockit: resolve no-such-host\.invalid: " "$SOCKIT" probe no-such-host.invalid 80
check "listen unknown addr" "^sockit: resolve no-such-host\.invalid: " "$SOCKIT" listen no-such-host.invalid 80
check "udp send unknown host" "^sockit: resolve no-such-host\.invalid: " "$SOCKIT" udp send no-such-host.invalid:80 hi
check "serve --bind unknown" "^sockit: resolve no-such-host\.invalid: " "$SOCKIT" serve --bind no-such-host.invalid
finish

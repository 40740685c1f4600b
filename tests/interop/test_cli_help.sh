#!/usr/bin/env bash
# Every command's --help, nested ones included (udp send, udp recv, proto serve, proto call), exits
# 0 and shows an "Examples:" section. The list is read from the help itself, so a new subcommand
# is covered without editing this test; the ones named in the docs must be among them.
. "$SOCKIT_TEST_LIB"
need timeout

# subcommands HELPFILE: the names listed under "Subcommands:".
subcommands() { sed -n '/^Subcommands:/,/^$/{/^  [a-z]/s/^  \([a-z-]*\).*/\1/p}' "$1"; }

checked=()
# check_help WORDS...: `sockit WORDS --help` has Examples:, then recurse into its subcommands.
check_help() {
  local f="$TMP/help.$(echo "$*" | tr ' ' _)" sub
  timeout 10 "$SOCKIT" "$@" --help >"$f" 2>"$TMP/err"
  RC=$?
  expect_rc 0 "sockit $* --help"
  grep -q '^Examples:' "$f" || fail "sockit $* --help has no 'Examples:' section"
  [ -s "$TMP/err" ] && fail "sockit $* --help wrote to stderr: $(head -c 200 "$TMP/err")"
  checked+=("$*")
  for sub in $(subcommands "$f"); do check_help "$@" "$sub"; done
}
check_help

for want in "" serve connect listen echo udp "udp send" "udp recv" probe proto "proto serve" "proto call" bench; do
  found=0
  for c in "${checked[@]}"; do [ "$c" = "$want" ] && found=1; done
  [ "$found" -eq 1 ] || fail "'sockit $want --help' was not reached from the help listings"
done
[ "${#checked[@]}" -ge 13 ] || fail "only ${#checked[@]} help pages found: ${checked[*]}"
finish
